package stage_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/logtest"
	"github.com/idv-oss/idv/infra/natsserver"
	"github.com/idv-oss/idv/schemas"
)

const stageName = "test"

type fixture struct {
	nc  *nats.Conn
	js  jetstream.JetStream
	pub *broker.Publisher
	reg *prometheus.Registry
	m   *stage.Metrics
	log *slog.Logger
}

// setup starts an embedded server in a temporary directory, connects and
// declares stream IDV.
func setup(t testing.TB) fixture {
	t.Helper()
	srv, err := natsserver.Start(natsserver.NewOptions(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, js, err := broker.Connect(context.Background(), srv.ClientURL(), "stage-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if _, err := broker.DeclareStream(context.Background(), js, broker.StreamConfig{Replicas: 1, MaxAge: time.Hour}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	return fixture{nc: nc, js: js, pub: broker.NewPublisher(js), reg: reg, m: stage.NewMetrics(reg),
		log: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// testStage describes the test stage as a stage package would, with the
// loop's usual retry delays and four handlers at once.
func testStage() idv.Stage {
	return idv.Stage{Name: stageName, Consumes: []string{schemas.TypeSessionSubmitted}, Retry: idv.Retry{MaxDeliver: 10,
		Backoff: idv.Backoff{Base: time.Second, Max: 5 * time.Minute}}, Concurrency: 4, AckWait: 30 * time.Second, MaxAckPending: 64}
}

// withConcurrency is the test stage running n handlers at once.
func withConcurrency(n int) idv.Stage {
	s := testStage()
	s.Concurrency = n
	return s
}

// consumer declares the test stage's consumer.
func (f fixture) consumer(t testing.TB, ackWait time.Duration, maxDeliver int) jetstream.Consumer {
	t.Helper()
	s := testStage()
	s.AckWait, s.MaxDeliver = ackWait, maxDeliver
	if err := broker.DeclareConsumers(context.Background(), f.js, s); err != nil {
		t.Fatal(err)
	}
	c, err := broker.Consumer(context.Background(), f.js, stageName)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// publish publishes a submitted event about session id.
func (f fixture) publish(t testing.TB, id string) idv.Message {
	t.Helper()
	m := submitted(id)
	if err := f.pub.Publish(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

// submitted is the submitted event about session id.
func submitted(id string) idv.Message {
	return idv.Message{
		Subject: schemas.Subject(schemas.TypeSessionSubmitted, id),
		Type:    schemas.TypeSessionSubmitted,
		MsgID:   schemas.MsgID(schemas.TypeSessionSubmitted, id),
		Time:    time.Date(2026, 3, 1, 12, 0, 0, 5, time.UTC),
		Body:    []byte(`{"session_id":"` + id + `"}`),
	}
}

// run starts the loop; stop cancels it and returns Run's error.
func (f fixture) run(t testing.TB, cons jetstream.Consumer, h stage.Handler, cfg stage.Config) (stop func() error) {
	stop, _ = f.start(t, cons, h, cfg)
	return stop
}

// start is run that also returns the loop's cancel.
func (f fixture) start(t testing.TB, cons jetstream.Consumer, h stage.Handler, cfg stage.Config) (stop func() error, cancel context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- stage.Run(ctx, cons, h, f.log, f.m, cfg) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop, cancel
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline: a condition, not a timing, is what is asserted.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func info(t testing.TB, cons jetstream.Consumer) *jetstream.ConsumerInfo {
	t.Helper()
	ci, err := cons.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ci
}

// settled waits until every one of n published messages is settled.
func settled(t testing.TB, cons jetstream.Consumer, n uint64) *jetstream.ConsumerInfo {
	t.Helper()
	var ci *jetstream.ConsumerInfo
	waitFor(t, fmt.Sprintf("%d messages settled", n), func() bool {
		ci = info(t, cons)
		return ci.AckFloor.Stream == n && ci.NumAckPending == 0 && ci.NumPending == 0
	})
	return ci
}

func (f fixture) wantCounts(t testing.TB, ack, nak, term, redelivered float64) {
	t.Helper()
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"ack", testutil.ToFloat64(stage.Messages(f.m, stageName, "ack")), ack},
		{"nak", testutil.ToFloat64(stage.Messages(f.m, stageName, "nak")), nak},
		{"term", testutil.ToFloat64(stage.Messages(f.m, stageName, "term")), term},
		{"redeliveries", testutil.ToFloat64(stage.Redeliveries(f.m, stageName)), redelivered},
		{"in flight", testutil.ToFloat64(stage.InFlight(f.m, stageName)), 0},
		{"ack failures", testutil.ToFloat64(stage.AckFailures(f.m, stageName)), 0},
	} {
		if c.got != c.want {
			t.Errorf("metric %s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// advisories subscribes to a consumer advisory (MSG_TERMINATED,
// MAX_DELIVERIES) of the test stage.
func (f fixture) advisories(t testing.TB, kind string) *nats.Subscription {
	t.Helper()
	sub, err := f.nc.SubscribeSync("$JS.EVENT.ADVISORY.CONSUMER." + kind + ".IDV." + stageName)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return sub
}

func nextAdvisory(t testing.TB, sub *nats.Subscription) map[string]any {
	t.Helper()
	msg, err := sub.NextMsg(20 * time.Second)
	if err != nil {
		t.Fatalf("no advisory on %s: %v", sub.Subject, err)
	}
	var a map[string]any
	if err := json.Unmarshal(msg.Data, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRunAcksOnNil(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cons := f.consumer(t, 30*time.Second, 10)
	var mu sync.Mutex
	var got []stage.Event
	stop := f.run(t, cons, stage.HandlerFunc(func(ctx context.Context, ev stage.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev)
		return nil
	}), stage.Config{Stage: testStage()})

	sent := f.publish(t, "s1")
	settled(t, cons, 1)
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	ci := info(t, cons)
	if ci.Delivered.Consumer != 1 || ci.NumRedelivered != 0 {
		t.Errorf("delivered %d times, %d redelivered; want once", ci.Delivered.Consumer, ci.NumRedelivered)
	}
	if len(got) != 1 {
		t.Fatalf("handler called %d times, want 1", len(got))
	}
	ev := got[0]
	if ev.Subject != sent.Subject || ev.Type != sent.Type || ev.MsgID != sent.MsgID || !ev.Time.Equal(sent.Time) ||
		string(ev.Data) != string(sent.Body) || ev.NumDelivered != 1 {
		t.Errorf("handler got %+v, sent %+v", ev, sent)
	}
	f.wantCounts(t, 1, 0, 0, 0)
	if n := testutil.CollectAndCount(f.reg, "idv_stage_duration_seconds"); n != 1 {
		t.Errorf("%d duration series, want 1 (stage=test, outcome=ack)", n)
	}
}

func TestRunTermsOnPermanent(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cons := f.consumer(t, 30*time.Second, 10)
	terminated := f.advisories(t, "MSG_TERMINATED")
	var calls atomic.Int32
	stop := f.run(t, cons, stage.HandlerFunc(func(ctx context.Context, ev stage.Event) error {
		calls.Add(1)
		return fmt.Errorf("doccheck: %s: %w", ev.MsgID, stage.Permanent(errors.New("unsupported document")))
	}), stage.Config{Stage: testStage()})

	f.publish(t, "s1")
	a := nextAdvisory(t, terminated)
	if want := "doccheck: idv.session.submitted:s1: unsupported document"; a["reason"] != want {
		t.Errorf("termination reason %q, want %q", a["reason"], want)
	}
	settled(t, cons, 1)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if ci := info(t, cons); ci.Delivered.Consumer != 1 || calls.Load() != 1 {
		t.Errorf("delivered %d times, handled %d; want once", ci.Delivered.Consumer, calls.Load())
	}
	f.wantCounts(t, 0, 0, 1, 0)
}

func TestRunNaksAndRedelivers(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cons := f.consumer(t, 30*time.Second, 10)
	var mu sync.Mutex
	var deliveries []uint64
	var backoffs []uint64
	stop := f.run(t, cons, stage.HandlerFunc(func(ctx context.Context, ev stage.Event) error {
		mu.Lock()
		defer mu.Unlock()
		deliveries = append(deliveries, ev.NumDelivered)
		if ev.NumDelivered < 3 {
			return errors.New("database unavailable")
		}
		return nil
	}), stage.Config{Stage: testStage(), Backoff: func(n uint64) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		backoffs = append(backoffs, n)
		return 50 * time.Millisecond
	}})

	f.publish(t, "s1")
	ci := settled(t, cons, 1)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(deliveries) != "[1 2 3]" || fmt.Sprint(backoffs) != "[1 2]" {
		t.Errorf("deliveries %v, backoff asked for %v; want [1 2 3] and [1 2]", deliveries, backoffs)
	}
	if ci.Delivered.Consumer != 3 {
		t.Errorf("consumer delivered %d times, want 3", ci.Delivered.Consumer)
	}
	f.wantCounts(t, 1, 2, 0, 2)
	if n := testutil.ToFloat64(stage.Exhausted(f.m, stageName)); n != 0 {
		t.Errorf("idv_stage_exhausted_total = %v after failures with deliveries left, want 0", n)
	}
}

// A message that keeps failing is delivered MaxDeliver times, then left.
func TestRunStopsAtMaxDeliver(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cons := f.consumer(t, 30*time.Second, 2)
	exhausted := f.advisories(t, "MAX_DELIVERIES")
	var calls atomic.Int32
	stop := f.run(t, cons, stage.HandlerFunc(func(ctx context.Context, ev stage.Event) error {
		calls.Add(1)
		return errors.New("storage unavailable")
	}), stage.Config{Stage: testStage(), Backoff: func(uint64) time.Duration { return 10 * time.Millisecond }})

	f.publish(t, "s1")
	nextAdvisory(t, exhausted)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Errorf("handled %d times, want MaxDeliver = 2", calls.Load())
	}
	f.wantCounts(t, 0, 2, 0, 1)
	if n := testutil.ToFloat64(stage.Exhausted(f.m, stageName)); n != 1 {
		t.Errorf("idv_stage_exhausted_total = %v, want 1 (the second and last delivery failed)", n)
	}
}

// A handler running three times AckWait keeps its message: delivered
// exactly once.
func TestRunInProgressHoldsSlowMessage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cons := f.consumer(t, time.Second, 10)
	var calls atomic.Int32
	stop := f.run(t, cons, stage.HandlerFunc(func(ctx context.Context, ev stage.Event) error {
		calls.Add(1)
		time.Sleep(3 * time.Second)
		return nil
	}), stage.Config{Stage: testStage()})

	f.publish(t, "s1")
	settled(t, cons, 1)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	ci := info(t, cons)
	if calls.Load() != 1 || ci.Delivered.Consumer != 1 {
		t.Errorf("handled %d times, delivered %d times; want exactly once", calls.Load(), ci.Delivered.Consumer)
	}
	f.wantCounts(t, 1, 0, 0, 0)
}

// The control for the test above: on the same consumer settings, a message
// held for three seconds without progress reports is delivered again.
func TestAckWaitRedeliversWithoutProgress(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cons := f.consumer(t, time.Second, 10)
	f.publish(t, "s1")
	first, err := cons.Fetch(1, jetstream.FetchMaxWait(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for range first.Messages() {
	}
	again, err := cons.Fetch(1, jetstream.FetchMaxWait(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for msg := range again.Messages() {
		meta, _ := msg.Metadata()
		if meta.NumDelivered != 2 {
			t.Errorf("redelivery has NumDelivered %d, want 2", meta.NumDelivered)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("got %d redeliveries without progress reports, want 1 (%v)", n, again.Error())
	}
}

func TestRunTermsMalformed(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cons := f.consumer(t, 30*time.Second, 10)
	terminated := f.advisories(t, "MSG_TERMINATED")
	var calls atomic.Int32
	stop := f.run(t, cons, stage.HandlerFunc(func(ctx context.Context, ev stage.Event) error {
		calls.Add(1)
		return nil
	}), stage.Config{Stage: testStage()})

	// Published past the Publisher: no CloudEvents headers.
	if _, err := f.js.Publish(context.Background(), "idv.session.submitted.s1", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	a := nextAdvisory(t, terminated)
	if a["reason"] != "malformed event: no ce-type header" {
		t.Errorf("termination reason %q", a["reason"])
	}
	settled(t, cons, 1)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 0 {
		t.Errorf("handler called %d times for a malformed message", calls.Load())
	}
	f.wantCounts(t, 0, 0, 1, 0)
}

// When ctx ends, Run waits for the running handler, which finishes on an
// uncancelled context and is acked.
func TestRunDrainsOnCancel(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cons := f.consumer(t, 30*time.Second, 10)
	started := make(chan struct{})
	release := make(chan struct{})
	var handlerErr atomic.Value
	var finished atomic.Bool
	stop, cancel := f.start(t, cons, stage.HandlerFunc(func(ctx context.Context, ev stage.Event) error {
		close(started)
		<-release
		if err := ctx.Err(); err != nil {
			handlerErr.Store(err)
		}
		finished.Store(true)
		return nil
	}), stage.Config{Stage: testStage()})

	f.publish(t, "s1")
	<-started
	cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	// Give a Run that does not wait every chance to return early.
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-stopped:
		t.Fatalf("Run returned (%v) while a handler was running", err)
	default:
	}
	if v := testutil.ToFloat64(stage.InFlight(f.m, stageName)); v != 1 {
		t.Errorf("in flight %v during the handler, want 1", v)
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !finished.Load() {
		t.Fatal("Run returned before the handler finished")
	}
	if err := handlerErr.Load(); err != nil {
		t.Errorf("handler's context ended with Run's: %v", err)
	}
	settled(t, cons, 1)
	f.wantCounts(t, 1, 0, 0, 0)
}

// Messages buffered but not started when Run stops go back to the broker at
// once, not after AckWait (here a minute, beyond waitFor's deadline).
func TestRunGivesBackBuffered(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cons := f.consumer(t, time.Minute, 10)
	const n, concurrency = 10, 4
	for i := range n {
		f.publish(t, fmt.Sprint("s", i))
	}
	started := make(chan struct{}, n)
	release := make(chan struct{})
	var handled atomic.Int32
	h := stage.HandlerFunc(func(ctx context.Context, ev stage.Event) error {
		started <- struct{}{}
		<-release
		handled.Add(1)
		return nil
	})
	stop, cancel := f.start(t, cons, h, stage.Config{Stage: withConcurrency(concurrency)})
	for range concurrency {
		<-started
	}
	// Once the fourth handler has its message, the loop has pulled more:
	// delivered, not started.
	waitFor(t, "messages buffered", func() bool { return info(t, cons).Delivered.Consumer > concurrency })
	buffered := info(t, cons).Delivered.Consumer - concurrency
	cancel()
	close(release)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := handled.Load(); got != concurrency {
		t.Errorf("first run handled %d, want %d (Concurrency)", got, concurrency)
	}
	t.Logf("%d buffered when Run stopped", buffered)

	stop2 := f.run(t, cons, h, stage.Config{Stage: withConcurrency(concurrency)})
	settled(t, cons, n)
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
	if handled.Load() != n {
		t.Errorf("handled %d in all, want %d", handled.Load(), n)
	}
}

func TestRunBoundsConcurrency(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cons := f.consumer(t, 30*time.Second, 10)
	const n = 12
	for i := range n {
		f.publish(t, fmt.Sprint("s", i))
	}
	var running, most atomic.Int32
	stop := f.run(t, cons, stage.HandlerFunc(func(ctx context.Context, ev stage.Event) error {
		r := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); r > m && !most.CompareAndSwap(m, r); m = most.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		return nil
	}), stage.Config{Stage: withConcurrency(3)})
	settled(t, cons, n)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if m := most.Load(); m < 2 || m > 3 {
		t.Errorf("at most %d handlers ran at once, want 3 (and more than 1)", m)
	}
	f.wantCounts(t, n, 0, 0, 0)
}

func TestRunRefusesBadConfig(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cons := f.consumer(t, time.Second, 10)
	h := stage.HandlerFunc(func(context.Context, stage.Event) error { return nil })
	for name, cfg := range map[string]stage.Config{
		"no stage":               {},
		"progress after AckWait": {Stage: testStage(), ProgressEvery: time.Second},
		"negative concurrency":   {Stage: withConcurrency(-1)},
	} {
		if err := stage.Run(context.Background(), cons, h, nil, nil, cfg); err == nil {
			t.Errorf("%s: Run started", name)
		}
	}
}

// Run returns an error, not nil, when its consumer goes away.
func TestRunFailsWhenConsumerDeleted(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cons := f.consumer(t, 30*time.Second, 10)
	done := make(chan error, 1)
	go func() {
		done <- stage.Run(context.Background(), cons, stage.HandlerFunc(func(context.Context, stage.Event) error { return nil }),
			f.log, f.m, stage.Config{Stage: testStage()})
	}()
	// Wait for the loop's pull request before deleting.
	waitFor(t, "a pull request", func() bool { return info(t, cons).NumWaiting > 0 })
	if err := f.js.DeleteConsumer(context.Background(), "IDV", stageName); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("Run returned nil after its consumer was deleted")
		}
		t.Log(err)
	case <-time.After(20 * time.Second):
		t.Fatal("Run still running 20s after its consumer was deleted")
	}
}

func TestNewMetricsTwiceOnOneRegistry(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	a := stage.NewMetrics(reg)
	b := stage.NewMetrics(reg)
	testutil.ToFloat64(stage.Messages(a, "x", "ack"))
	if stage.Messages(a, "x", "ack") != stage.Messages(b, "x", "ack") {
		t.Error("second NewMetrics on one registry does not share the series")
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

// A worker outlives a stall between it and the broker: while its server
// stays connected but silent (in a cluster: the node leading its consumer
// lost, the pull it had parked gone with it), heartbeats stop. That is a
// warning, and the loop pulls again, rather than an error that stops the
// worker and its process.
func TestRunSurvivesMissingHeartbeats(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.consumer(t, 30*time.Second, 10)
	// The worker reaches the server through a path that can stall.
	path := newStallingProxy(t, f.nc.ConnectedUrl())
	nc, wjs, err := broker.Connect(context.Background(), path.url(), "stage-test-worker", nats.DontRandomize())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	wcons, err := broker.Consumer(context.Background(), wjs, stageName)
	if err != nil {
		t.Fatal(err)
	}
	log, logs := logtest.New()
	f.log = log
	handled := make(chan string, 4)
	stop := f.run(t, wcons, stage.HandlerFunc(func(ctx context.Context, ev stage.Event) error {
		handled <- ev.Subject
		return nil
	}), stage.Config{Stage: testStage(), Heartbeat: 500 * time.Millisecond}) // the least nats.go takes
	next := func(id string) {
		t.Helper()
		f.publish(t, id)
		select {
		case got := <-handled:
			if got != schemas.Subject(schemas.TypeSessionSubmitted, id) {
				t.Fatalf("handled %s, want %s", got, id)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s not handled; the loop stopped with %v; logs:\n%s", id, stop(), logs.String())
		}
	}

	next("s1")
	path.stall(true)
	waitFor(t, "the loop to notice the missing heartbeats", func() bool {
		return strings.Contains(logs.String(), "no heartbeat from JetStream")
	})
	path.stall(false)
	next("s2")
	if err := stop(); err != nil {
		t.Fatalf("the loop stopped with %v", err)
	}
}

// stallingProxy passes TCP bytes to a server until told to stall: then it
// holds them back without closing anything, as a silent network path would.
type stallingProxy struct {
	ln      net.Listener
	mu      sync.Mutex
	cond    *sync.Cond
	stalled bool
}

func newStallingProxy(t *testing.T, target string) *stallingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallingProxy{ln: ln}
	p.cond = sync.NewCond(&p.mu)
	t.Cleanup(func() {
		ln.Close()
		p.stall(false)
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", u.Host)
			if err != nil {
				c.Close()
				continue
			}
			go p.pipe(s, c)
			go p.pipe(c, s)
		}
	}()
	return p
}

func (p *stallingProxy) url() string { return "nats://" + p.ln.Addr().String() }

func (p *stallingProxy) stall(on bool) {
	p.mu.Lock()
	p.stalled = on
	p.mu.Unlock()
	p.cond.Broadcast()
}

func (p *stallingProxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		p.mu.Lock()
		for p.stalled {
			p.cond.Wait()
		}
		p.mu.Unlock()
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
