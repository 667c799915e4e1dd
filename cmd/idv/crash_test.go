package main

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/producers/retention"
	"github.com/idv-oss/idv/schemas"
)

// faceStages reports whether a fault test runs the face stages too: with
// IDV_FACE_DIR set. Without it the test runs the document check only,
// unless IDV_REQUIRE_FACE is set (as `go tool task test` and `chaos` set
// it): then that silent narrowing is a failure.
func faceStages(t *testing.T) bool {
	t.Helper()
	if os.Getenv("IDV_FACE_DIR") != "" {
		return true
	}
	if os.Getenv("IDV_REQUIRE_FACE") != "" {
		t.Fatal("IDV_REQUIRE_FACE is set but IDV_FACE_DIR is not: the test would run the document check only (scripts/face-models.sh)")
	}
	return false
}

// chaos reports whether the long versions run (IDV_CHAOS=1, set by `go
// tool task chaos`).
func chaos() bool { return os.Getenv("IDV_CHAOS") == "1" }

// chaosInt is the integer setting name (e.g. IDV_CHAOS_VERIFICATIONS) in
// the long versions, or quick otherwise; long when name is unset.
func chaosInt(t testing.TB, name string, quick, long int) int {
	t.Helper()
	return chaosSetting(t, name, quick, long, strconv.Atoi)
}

// chaosDuration is chaosInt for durations (e.g. IDV_CHAOS_OUTAGE=3m).
func chaosDuration(t testing.TB, name string, quick, long time.Duration) time.Duration {
	t.Helper()
	return chaosSetting(t, name, quick, long, time.ParseDuration)
}

func chaosSetting[T int | time.Duration](t testing.TB, name string, quick, long T, parse func(string) (T, error)) T {
	t.Helper()
	if !chaos() {
		return quick
	}
	v := os.Getenv(name)
	if v == "" {
		return long
	}
	x, err := parse(v)
	if err != nil || x <= 0 {
		t.Fatalf("%s=%q: want a positive value", name, v)
	}
	return x
}

// awaitAll waits, generously, until every session has received a webhook
// of type.
func (s *system) awaitAll(vs []*verification, typ string, within time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for _, v := range vs {
		for s.rcv.Received(v.id, typ) == 0 {
			if time.Now().After(deadline) {
				s.t.Fatalf("session %s: no %s webhook within %s", v.id, typ, within)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestWorkersSurviveSIGKILL runs every stage and the relay as `idv worker`
// and `idv relay` processes and kills them with SIGKILL again and again:
// each stage's worker while its in-flight gauge shows a message in its
// handler, the relay while the outbox holds rows to publish (so, among
// others, between a commit and its publish). Every verification must end
// with exactly one session.decided and, after its retention deadline, one
// session.deleted webhook at the receiver, with one recorded delivery
// each: nothing lost, nothing twice. A notify worker killed after its POST
// and before recording it sends the webhook again with the same
// webhook-id (no process can make an HTTP call and a commit atomic); the
// receiver drops the repeat as Standard Webhooks says, and the test counts
// those repeats.
func TestWorkersSurviveSIGKILL(t *testing.T) {
	t.Parallel() // mostly waiting (outages, AckWait, restarts): it overlaps the others
	if testing.Short() {
		t.Skip("subprocesses killed many times: not with -short")
	}
	n := chaosInt(t, "IDV_CHAOS_VERIFICATIONS", 30, 300)
	rounds := chaosInt(t, "IDV_CHAOS_KILLS", 3, 25)
	checks := []string{schemas.CheckDocument}
	pipeline := []string{"doccheck", "decision", "notify", "relay"}
	if faceStages(t) {
		checks = append(checks, schemas.CheckFace, schemas.CheckLiveness)
		pipeline = append(pipeline, "facematch", "liveness")
	}
	// AckWait is shortened so that what a killed worker held comes back in
	// seconds, not 30.
	// One attempt: the specimen selfies show no face, which the face
	// stages answer with a retake; here every session must end decided.
	s := startSystemWith(t, systemOptions{external: true, ackWait: 2 * time.Second, checks: checks, maxAttempts: 1})
	bin := buildIDV(t)
	ctx := t.Context()
	k := &killer{t: t, procs: map[string]*proc{}, landed: map[string]int{}, busy: map[string]func(*proc) bool{}}
	for _, name := range append(slices.Clone(pipeline), "wipe") {
		args := []string{"worker", name}
		k.busy[name] = inFlight(name)
		if name == "relay" {
			args = []string{"relay"}
			k.busy[name] = func(*proc) bool {
				st, err := postgres.NewOutbox(s.st.db).Stats(ctx)
				return err == nil && st.Pending > 0
			}
		}
		p := s.newProc(t, bin, args...)
		// Two handlers at a time per stage keep a backlog, so that the
		// kills find work in progress.
		p.env = append(p.env, "IDV_STAGE_CONCURRENCY=2")
		p.start()
		k.procs[name] = p
	}

	// Verifications go in one after another for as long as the kills go
	// on (and at least n of them), so that every kill finds work.
	start := time.Now()
	killing, cancel := context.WithCancel(ctx)
	submitted := make(chan []*verification, 1)
	failed := make(chan error, 1)
	go func() {
		var vs []*verification
		defer func() { submitted <- vs }()
		for len(vs) < n || killing.Err() == nil {
			v, err := s.startVerification(ctx)
			if err == nil {
				err = v.app.SealAndUpload(ctx, v.session, v.captures, nil)
			}
			if err == nil {
				_, err = v.app.Submit(ctx)
			}
			if err != nil {
				failed <- err
				return
			}
			vs = append(vs, v)
		}
	}()
	k.killAll(ctx, pipeline, rounds)
	cancel()
	vs := <-submitted
	select {
	case err := <-failed:
		t.Fatal(err)
	default:
	}
	s.awaitAll(vs, schemas.WebhookSessionDecided, chaosDuration(t, "IDV_CHAOS_WAIT", 5*time.Minute, 30*time.Minute))
	decisions := map[string]int{}
	for _, v := range vs {
		var r sessionResult
		if err := customerCall(ctx, http.MethodGet, s.apiURL+"/v1/sessions/"+v.id, s.tenant.APIKey, &r); err != nil {
			t.Fatal(err)
		}
		decisions[r.Decision]++
	}

	// Every session's retention deadline passes; the wipes run while the
	// wipe worker, notify and the relay are killed in turn.
	sweeper := retention.New(retention.Deps{Store: postgres.NewRetention(s.st.db), Keys: s.st.vault,
		Now: func() time.Time { return time.Now().Add(49 * time.Hour) }, Metrics: retention.NewMetrics(nil)}, retention.Config{})
	if round, err := sweeper.RunOnce(ctx); err != nil || round.Claimed != len(vs) {
		t.Fatalf("retention: %+v %v; want %d sessions claimed", round, err, len(vs))
	}
	k.killAll(ctx, []string{"wipe", "notify", "relay"}, rounds)
	s.awaitAll(vs, schemas.WebhookSessionDeleted, chaosDuration(t, "IDV_CHAOS_WAIT", 5*time.Minute, 30*time.Minute))

	// Once the stages have settled everything, a redelivered notify could
	// only have sent a second webhook by now.
	s.waitSettled(ctx, append(slices.DeleteFunc(slices.Clone(pipeline), func(n string) bool { return n == "relay" }), "wipe")...)
	dupes := 0
	for _, v := range vs {
		for _, typ := range []string{schemas.WebhookSessionDecided, schemas.WebhookSessionDeleted} {
			if got := s.rcv.Received(v.id, typ); got != 1 {
				t.Errorf("session %s: %d %s webhooks received, want exactly 1", v.id, got, typ)
			}
		}
		dupes += s.rcv.Duplicated(v.id, schemas.WebhookSessionDecided) + s.rcv.Duplicated(v.id, schemas.WebhookSessionDeleted)
		if got := s.deliveries(v.id, "delivered"); got != 2 {
			t.Errorf("session %s: %d deliveries recorded, want 2 (decided, deleted)", v.id, got)
		}
	}
	kills := 0
	for name, p := range k.procs {
		if p.starts > 1 && k.landed[name] == 0 {
			t.Errorf("%s: killed %d times, never while busy: the test did not test it", name, p.starts-1)
		}
		kills += p.starts - 1
	}
	t.Logf("%d verifications (%v checks), %d SIGKILLs in %s, landing while busy: %v; every one decided (%v) with exactly one decided and one deleted webhook; %d webhooks sent again with the same webhook-id (killed between sending and recording) and dropped by the receiver",
		len(vs), checks, kills, time.Since(start).Round(time.Second), k.landed, decisions, dupes)
}
