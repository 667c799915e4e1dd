package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/idv-oss/idv/infra/natsserver"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
	"github.com/idv-oss/idv/producers/retention"
	"github.com/idv-oss/idv/schemas"
)

// batch is verifications submitted while something fails.
type batch struct {
	s  *system
	vs []*verification
}

// uploadAll starts n verifications and uploads their captures.
func (s *system) uploadAll(n int) *batch {
	s.t.Helper()
	r := &batch{s: s, vs: make([]*verification, n)}
	for i := range r.vs {
		r.vs[i] = s.newVerification()
		if err := r.vs[i].app.SealAndUpload(context.Background(), r.vs[i].session, r.vs[i].captures, nil); err != nil {
			s.t.Fatal(err)
		}
	}
	return r
}

// submitAll submits every verification in a goroutine, calling midway
// once half are in; it returns when all are submitted.
func (r *batch) submitAll(midway func()) {
	r.s.t.Helper()
	done := make(chan error, 1)
	half := make(chan struct{})
	go func() {
		for i, v := range r.vs {
			if i == len(r.vs)/2 {
				close(half)
			}
			if _, err := v.app.Submit(context.Background()); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case <-half:
		midway()
	case err := <-done:
		r.s.t.Fatal(err)
	}
	if err := <-done; err != nil {
		r.s.t.Fatal(err)
	}
}

// retries are the failures the system counted and retried: stage
// handlers that failed (naks), redeliveries, outbox publishes that failed.
func (s *system) retries() string {
	s.t.Helper()
	v := func(name string, labels map[string]string) float64 {
		return testutil.ToFloat64(collectorOf(s.t, s.reg, name, labels))
	}
	return fmt.Sprintf("%v failed handler runs retried, %v redeliveries, %v outbox publishes retried in %v failed relay rounds",
		v("idv_stage_messages_total", map[string]string{"outcome": "nak"}), v("idv_stage_redeliveries_total", nil),
		v("idv_outbox_publish_errors_total", nil), v("idv_outbox_relay_failures_total", nil))
}

// failedRounds is how many relay rounds of this process failed and were
// retried: an outage that hit work in flight leaves at least one, as the
// relay keeps trying (every second, then with backoff) while it lasts.
func (s *system) failedRounds() float64 {
	s.t.Helper()
	return testutil.ToFloat64(collectorOf(s.t, s.reg, "idv_outbox_relay_failures_total", nil))
}

// redeliveries is how many messages this process's stages got again
// because an earlier delivery was not settled: what a broker restart does
// to the messages in flight (their acks are lost with the connection).
func (s *system) redeliveries() float64 {
	s.t.Helper()
	return testutil.ToFloat64(collectorOf(s.t, s.reg, "idv_stage_redeliveries_total", nil))
}

// exactlyOnce waits for every verification's decision and checks that each
// got exactly one session.decided webhook and one recorded delivery.
func (r *batch) exactlyOnce(within time.Duration, stages ...string) {
	s := r.s
	s.t.Helper()
	s.awaitAll(r.vs, schemas.WebhookSessionDecided, within)
	s.waitSettled(context.Background(), stages...)
	for _, v := range r.vs {
		if got := s.rcv.Received(v.id, schemas.WebhookSessionDecided); got != 1 {
			s.t.Errorf("session %s: %d session.decided webhooks, want exactly 1", v.id, got)
		}
		if got := s.deliveries(v.id, "delivered"); got != 1 {
			s.t.Errorf("session %s: %d deliveries recorded, want exactly 1", v.id, got)
		}
	}
}

// TestSurvivesBrokerRestart: the embedded NATS server is shut down while
// verifications are being submitted and comes back after a while on the
// same port and store. The API keeps taking submissions (the outbox holds
// them), the relay and every stage reconnect by themselves, and every
// verification ends with exactly one decision webhook.
func TestSurvivesBrokerRestart(t *testing.T) {
	t.Parallel() // mostly waiting (outages, AckWait, restarts): it overlaps the others
	if testing.Short() {
		t.Skip("broker restart: not with -short")
	}
	n := chaosInt(t, "IDV_CHAOS_VERIFICATIONS", 40, 1000)
	outage := chaosDuration(t, "IDV_CHAOS_OUTAGE", 2*time.Second, 2*time.Minute)
	s := startSystemWith(t, systemOptions{ackWait: 3 * time.Second})
	r := s.uploadAll(n)
	u, err := url.Parse(s.nats[0].ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())
	start := time.Now()
	r.submitAll(func() {
		s.nats[0].Shutdown()
		time.Sleep(outage)
		opts := natsserver.NewOptions(s.natsDir)
		opts.Port = port
		ns, err := natsserver.Start(opts)
		if err != nil {
			t.Fatal(err)
		}
		s.nats[0] = ns
	})
	r.exactlyOnce(chaosDuration(t, "IDV_CHAOS_WAIT", 3*time.Minute, 30*time.Minute), "doccheck", "decision", "notify")
	// The outage must have hit work in flight: a relay round that failed
	// to publish (the client may also hold a publish across a short
	// reconnect and succeed, so this alone is not enough), or a stage
	// message whose ack was lost with the connection and that came again.
	if s.failedRounds()+s.redeliveries() == 0 {
		t.Error("no relay round failed and no message was redelivered: the outage hit no work in flight, so the test proves nothing")
	}
	info := s.streamInfo(context.Background())
	t.Logf("broker down %s while %d verifications were submitted: every one decided with exactly one webhook, %s after the first submit; stream IDV holds %d events; %s",
		outage, n, time.Since(start).Round(time.Second), info.State.Msgs, s.retries())
}

// TestSurvivesDatabaseAndStorageOutage: the relay and the stages run as
// `idv relay` and `idv worker` processes that reach PostgreSQL (main
// database and key store) and S3 through TCP proxies; midway through the
// submissions both proxies go down, cutting every open connection, while
// the API (on its own path) keeps taking submissions. The stages fail, nak
// and retry with backoff, the relay retries; when the stores come back the
// processes resume by themselves and every verification ends with exactly
// one decision webhook.
func TestSurvivesDatabaseAndStorageOutage(t *testing.T) {
	t.Parallel() // mostly waiting (outages, AckWait, restarts): it overlaps the others
	if testing.Short() {
		t.Skip("database and storage outage: not with -short")
	}
	n := chaosInt(t, "IDV_CHAOS_VERIFICATIONS", 40, 1000)
	outage := chaosDuration(t, "IDV_CHAOS_OUTAGE", 3*time.Second, 3*time.Minute)
	s := startSystemWith(t, systemOptions{external: true})
	dbURL, err := url.Parse(s.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	keysURL, err := url.Parse(s.keysURL)
	if err != nil {
		t.Fatal(err)
	}
	pg := newProxy(t, dbURL.Host)
	s3 := newProxy(t, strings.TrimPrefix(s3test.Gateway().Endpoint, "http://"))
	dbURL.Host, keysURL.Host = pg.ln.Addr().String(), pg.ln.Addr().String()
	bin := buildIDV(t)
	var procs []*proc
	for _, args := range [][]string{{"relay"}, {"worker", "doccheck"}, {"worker", "decision"}, {"worker", "notify"}} {
		p := s.newProc(t, bin, args...)
		p.env = append(p.env, "DATABASE_URL="+dbURL.String(), "IDV_DATABASE_URL="+dbURL.String(),
			"IDV_KEYSTORE_URL="+keysURL.String(), "IDV_S3_ENDPOINT=http://"+s3.ln.Addr().String())
		p.start()
		procs = append(procs, p)
	}
	r := s.uploadAll(n)
	start := time.Now()
	r.submitAll(func() {
		pg.setDown(true)
		s3.setDown(true)
		time.Sleep(outage)
		pg.setDown(false)
		s3.setDown(false)
	})
	r.exactlyOnce(chaosDuration(t, "IDV_CHAOS_WAIT", 3*time.Minute, 30*time.Minute), "doccheck", "decision", "notify")
	var naks, rounds float64
	for _, p := range procs {
		if _, err := p.rssPeak(); err != nil {
			t.Errorf("idv %s did not keep running: %v", strings.Join(p.args, " "), err)
		}
		v, _ := p.metric("idv_stage_messages_total", "outcome=nak")
		naks += v
		v, _ = p.metric("idv_outbox_relay_failures_total")
		rounds += v
	}
	// The relay asks the database every second, so an outage of seconds
	// fails at least one of its rounds even when no stage had work.
	if rounds == 0 {
		t.Error("no relay round failed: the outage hit no work in flight, so the test proves nothing")
	}
	t.Logf("the workers' database and storage down %s midway through %d submissions: every one decided with exactly one webhook, %s after the first submit; %v failed handler runs retried, %v failed relay rounds; the same processes throughout",
		outage, n, time.Since(start).Round(time.Second), naks, rounds)

	// The retention deadlines pass while the database is down: the round
	// fails and counts its errors with nothing claimed (IDVRetentionErrors
	// fires on that), and once the database is back a round claims every
	// session at once.
	db, err := postgres.Open(t.Context(), dbURL.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg := prometheus.NewRegistry()
	sweeper := retention.New(retention.Deps{Store: postgres.NewRetention(db), Keys: s.st.vault,
		Now: func() time.Time { return time.Now().Add(49 * time.Hour) }, Metrics: retention.NewMetrics(reg)}, retention.Config{})
	pg.setDown(true)
	if round, err := sweeper.RunOnce(t.Context()); err == nil || round.Claimed != 0 ||
		testutil.ToFloat64(collectorOf(t, reg, "idv_retention_errors_total", nil)) == 0 {
		t.Fatalf("a retention round with the database down: %+v, %v; want an error counted and nothing claimed", round, err)
	}
	pg.setDown(false)
	claimed, deadline := 0, time.Now().Add(time.Minute)
	for claimed < n {
		round, err := sweeper.RunOnce(t.Context())
		claimed += round.Claimed
		if claimed < n && time.Now().After(deadline) {
			t.Fatalf("retention after the database came back: %d of %d claimed, %v", claimed, n, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("retention with the database down: the round failed, %v errors counted, nothing claimed; once it was back: %d of %d sessions claimed",
		testutil.ToFloat64(collectorOf(t, reg, "idv_retention_errors_total", nil)), claimed, n)
}
