package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/producers/outbox"
	"github.com/idv-oss/idv/schemas"
)

// fixture is one test's database, tenant and broker.
type fixture struct {
	db     *sqlx.DB
	dbURL  string
	tenant uuid.UUID
	pub    *broker.Publisher
	stream jetstream.Stream
}

func setup(t testing.TB) *fixture { t.Helper(); return newFixture(t, false) }

// newFixture makes a fixture; syncAlways has the broker fsync every write.
func newFixture(t testing.TB, syncAlways bool) *fixture {
	t.Helper()
	db, u := pgtest.NewDBURL(t, schemas.MainMigrations())
	tenant := uuid.New()
	if _, err := db.Exec(`INSERT INTO tenants (tenant_id, name, retention_days, webhook_url, webhook_secret_sealed, policy)
		VALUES ($1, 'outbox test', 7, 'https://example.test/hook', '\x00', '{}')`, tenant); err != nil {
		t.Fatal(err)
	}
	pub, stream := startBroker(t, syncAlways)
	return &fixture{db: db, dbURL: u, tenant: tenant, pub: pub, stream: stream}
}

// event is an outbox row as a test appended it.
type event struct {
	MsgID, Type, Subject string
	Body                 any
}

// submitted returns n distinct idv.session.submitted events.
func submitted(n int) []event {
	evs := make([]event, n)
	for i := range evs {
		id := uuid.NewString()
		evs[i] = event{
			MsgID:   schemas.MsgID(schemas.TypeSessionSubmitted, id),
			Type:    schemas.TypeSessionSubmitted,
			Subject: schemas.Subject(schemas.TypeSessionSubmitted, id),
			Body: schemas.SessionSubmitted{SessionID: id, Checks: []string{"document", "face"},
				SubmittedAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)},
		}
	}
	return evs
}

// appendEvents inserts evs in seq order in one transaction and then wakes
// the relay, as the stores' outbox transactions do.
func (f *fixture) appendEvents(t testing.TB, evs []event) {
	t.Helper()
	tx := f.db.MustBegin()
	defer tx.Rollback()
	for _, ev := range evs {
		body, err := json.Marshal(ev.Body)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`INSERT INTO outbox (tenant_id, msg_id, type, subject, body) VALUES ($1, $2, $3, $4, $5)`,
			f.tenant, ev.MsgID, ev.Type, ev.Subject, string(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`SELECT pg_notify($1, '')`, postgres.OutboxChannel); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) pending(t testing.TB) int {
	t.Helper()
	var n int
	if err := f.db.Get(&n, `SELECT count(*) FROM outbox WHERE published_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	return n
}

// streamMsgs returns every message of stream IDV in stream order.
func (f *fixture) streamMsgs(t testing.TB) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx := context.Background()
	info, err := f.stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := f.stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("stream message %d: %v", seq, err)
		}
		msgs = append(msgs, m)
	}
	if uint64(len(msgs)) != info.State.Msgs {
		t.Fatalf("read %d messages, stream holds %d", len(msgs), info.State.Msgs)
	}
	return msgs
}

// msgIDs returns the Nats-Msg-Id of msgs in order and fails on any twice.
func msgIDs(t testing.TB, msgs []*jetstream.RawStreamMsg) []string {
	t.Helper()
	seen := map[string]bool{}
	var ids []string
	for _, m := range msgs {
		id := m.Header.Get(jetstream.MsgIDHeader)
		if seen[id] {
			t.Fatalf("msg id %s is in the stream twice", id)
		}
		seen[id] = true
		ids = append(ids, id)
	}
	return ids
}

func wantIDs(evs []event) []string {
	ids := make([]string, len(evs))
	for i, ev := range evs {
		ids[i] = ev.MsgID
	}
	return ids
}

// run runs r until the test ends, and fails the test if Run does not return
// after its context is cancelled.
func run(t testing.TB, r *outbox.Relay) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
}

// waitFor waits for cond, failing the test after a deadline far beyond any
// expected time: a wait, not a timed assertion.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// metric reads an unlabelled counter or gauge from reg.
func metric(t testing.TB, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		m := f.GetMetric()[0]
		if len(m.GetLabel()) > 0 {
			t.Fatalf("%s has labels %v", name, m.GetLabel())
		}
		if c := m.GetCounter(); c != nil {
			return c.GetValue()
		}
		return m.GetGauge().GetValue()
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// counting counts the publishes it passes on to pub.
type counting struct {
	pub   outbox.Publisher
	calls atomic.Int64
}

func (c *counting) Publish(ctx context.Context, m idv.Message) error {
	c.calls.Add(1)
	return c.pub.Publish(ctx, m)
}

func fastConfig() outbox.Config {
	return outbox.Config{PollInterval: 20 * time.Millisecond, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
}

func TestPublishesEachRowOnceWithHeadersAndBody(t *testing.T) {
	t.Parallel()
	f := setup(t)
	evs := submitted(2)
	evs = append(evs, event{
		MsgID:   schemas.MsgID(schemas.TypeCheckCompleted, "s-1", "face"),
		Type:    schemas.TypeCheckCompleted,
		Subject: schemas.Subject(schemas.TypeCheckCompleted, "s-1"),
		Body:    schemas.CheckCompleted{SessionID: "s-1", Check: "face", Outcome: schemas.OutcomePassed, Reasons: []string{}},
	})
	f.appendEvents(t, evs)
	var created []time.Time
	if err := f.db.Select(&created, `SELECT created_at FROM outbox ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	run(t, outbox.New(postgres.NewOutbox(f.db.DB), postgres.NewOutboxListener(f.dbURL, 5*time.Millisecond, 20*time.Millisecond, nil), f.pub, nil, outbox.NewMetrics(reg), fastConfig()))
	waitFor(t, "rows published", func() bool { return f.pending(t) == 0 })

	msgs := f.streamMsgs(t)
	if got, want := msgIDs(t, msgs), wantIDs(evs); !reflect.DeepEqual(got, want) {
		t.Fatalf("stream holds %v, want %v", got, want)
	}
	for i, m := range msgs {
		ev := evs[i]
		if m.Subject != ev.Subject {
			t.Errorf("%s: subject %s, want %s", ev.MsgID, m.Subject, ev.Subject)
		}
		if got := m.Header.Get(jetstream.MsgIDHeader); got != ev.MsgID {
			t.Errorf("%s: Nats-Msg-Id %q", ev.MsgID, got)
		}
		if got := m.Header.Get("ce-type"); got != ev.Type {
			t.Errorf("%s: ce-type %q, want %q", ev.MsgID, got, ev.Type)
		}
		if got := m.Header.Get("ce-id"); got != ev.MsgID {
			t.Errorf("%s: ce-id %q", ev.MsgID, got)
		}
		if at, err := time.Parse(time.RFC3339Nano, m.Header.Get("ce-time")); err != nil || !at.Equal(created[i]) {
			t.Errorf("%s: ce-time %q (%v), want %v", ev.MsgID, m.Header.Get("ce-time"), err, created[i])
		}
		want, _ := json.Marshal(ev.Body)
		if !sameJSON(t, m.Data, want) {
			t.Errorf("%s: body %s, want %s", ev.MsgID, m.Data, want)
		}
	}
	waitFor(t, "metrics", func() bool {
		return metric(t, reg, "idv_outbox_published_total") == 3 && metric(t, reg, "idv_outbox_pending") == 0
	})
	if got := metric(t, reg, "idv_outbox_publish_errors_total"); got != 0 {
		t.Errorf("publish errors %v, want 0", got)
	}
}

func sameJSON(t testing.TB, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("body %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(va, vb)
}

func TestTwoRelaysPublishEachRowOnce(t *testing.T) {
	t.Parallel()
	f := setup(t)
	evs := submitted(500)
	f.appendEvents(t, evs)
	cfg := fastConfig()
	cfg.BatchSize = 20 // many small batches, so both relays claim
	a, b := &counting{pub: f.pub}, &counting{pub: f.pub}
	run(t, outbox.New(postgres.NewOutbox(f.db.DB), postgres.NewOutboxListener(f.dbURL, 5*time.Millisecond, 20*time.Millisecond, nil), a, nil, nil, cfg))
	run(t, outbox.New(postgres.NewOutbox(f.db.DB), postgres.NewOutboxListener(f.dbURL, 5*time.Millisecond, 20*time.Millisecond, nil), b, nil, nil, cfg))
	waitFor(t, "rows published", func() bool { return f.pending(t) == 0 })

	msgs := f.streamMsgs(t)
	if len(msgs) != len(evs) {
		t.Fatalf("stream holds %d messages, want %d", len(msgs), len(evs))
	}
	got := map[string]bool{}
	for _, id := range msgIDs(t, msgs) {
		got[id] = true
	}
	for _, ev := range evs {
		if !got[ev.MsgID] {
			t.Fatalf("%s not in the stream", ev.MsgID)
		}
	}
	// SKIP LOCKED, not de-duplication, kept the relays apart: no row went to
	// the broker twice.
	if n := a.calls.Load() + b.calls.Load(); n != int64(len(evs)) {
		t.Fatalf("relays published %d times for %d rows", n, len(evs))
	}
	t.Logf("relay a published %d, relay b %d", a.calls.Load(), b.calls.Load())
}

// failing fails every publish until recovered, counting the failures.
type failing struct {
	pub       outbox.Publisher
	recovered atomic.Bool
	failures  atomic.Int64
}

func (p *failing) Publish(ctx context.Context, m idv.Message) error {
	if !p.recovered.Load() {
		p.failures.Add(1)
		return errors.New("broker unavailable")
	}
	return p.pub.Publish(ctx, m)
}

func TestFailingPublisherLosesNothing(t *testing.T) {
	t.Parallel()
	f := setup(t)
	evs := submitted(10)
	f.appendEvents(t, evs)
	pub := &failing{pub: f.pub}
	reg := prometheus.NewRegistry()
	run(t, outbox.New(postgres.NewOutbox(f.db.DB), postgres.NewOutboxListener(f.dbURL, 5*time.Millisecond, 20*time.Millisecond, nil), pub, nil, outbox.NewMetrics(reg), fastConfig()))

	waitFor(t, "three failed publishes", func() bool { return pub.failures.Load() >= 3 })
	waitFor(t, "backlog metrics", func() bool {
		return metric(t, reg, "idv_outbox_pending") == 10 && metric(t, reg, "idv_outbox_lag_seconds") > 0
	})
	if n := f.pending(t); n != 10 {
		t.Fatalf("%d rows unpublished while the broker fails, want 10", n)
	}
	if msgs := f.streamMsgs(t); len(msgs) != 0 {
		t.Fatalf("stream holds %d messages while the broker fails", len(msgs))
	}
	pub.recovered.Store(true)
	waitFor(t, "rows published", func() bool { return f.pending(t) == 0 })
	if got, want := msgIDs(t, f.streamMsgs(t)), wantIDs(evs); !reflect.DeepEqual(got, want) {
		t.Fatalf("stream holds %v, want %v", got, want)
	}
	waitFor(t, "metrics", func() bool {
		return metric(t, reg, "idv_outbox_published_total") == 10 &&
			metric(t, reg, "idv_outbox_pending") == 0 && metric(t, reg, "idv_outbox_lag_seconds") == 0
	})
	if got, want := metric(t, reg, "idv_outbox_publish_errors_total"), float64(pub.failures.Load()); got != want {
		t.Fatalf("publish errors %v, want %v", got, want)
	}
	// A batch stops at its first failed publish: one failed round each.
	if got, want := metric(t, reg, "idv_outbox_relay_failures_total"), float64(pub.failures.Load()); got != want {
		t.Fatalf("relay failures %v, want %v", got, want)
	}
}

func TestFailureMidBatchKeepsOrder(t *testing.T) {
	t.Parallel()
	f := setup(t)
	evs := submitted(10)
	f.appendEvents(t, evs)
	var calls atomic.Int64
	pub := publisherFunc(func(ctx context.Context, m idv.Message) error {
		if n := calls.Add(1); n == 4 || n == 5 {
			return fmt.Errorf("publish %d refused", n)
		}
		return f.pub.Publish(ctx, m)
	})
	run(t, outbox.New(postgres.NewOutbox(f.db.DB), postgres.NewOutboxListener(f.dbURL, 5*time.Millisecond, 20*time.Millisecond, nil), pub, nil, nil, fastConfig()))
	waitFor(t, "rows published", func() bool { return f.pending(t) == 0 })
	if got, want := msgIDs(t, f.streamMsgs(t)), wantIDs(evs); !reflect.DeepEqual(got, want) {
		t.Fatalf("stream holds %v, want %v", got, want)
	}
	// Rows 1-3, row 4 refused, row 4 refused again, rows 4-10: a batch stops
	// at its first failure.
	if n := calls.Load(); n != 12 {
		t.Fatalf("%d publishes, want 12", n)
	}
}

func TestPublishWithoutCommitIsDeduplicated(t *testing.T) {
	t.Parallel()
	f := setup(t)
	evs := submitted(1)
	f.appendEvents(t, evs)
	ctx := context.Background()

	// A relay that dies after publishing, before its commit: the batch's
	// transaction ends without marking the row.

	claimed, published, err := postgres.NewOutbox(f.db.DB).PublishBatch(ctx, 10, func(ctx context.Context, row idv.OutboxRow) error {
		if err := f.pub.Publish(ctx, idv.Message{Subject: row.Subject, Type: row.Type,
			MsgID: row.MsgID, Time: row.CreatedAt, Body: row.Body}); err != nil {
			t.Fatal(err)
		}
		return errDied
	})
	if claimed != 1 || published != 0 || !errors.Is(err, errDied) {
		t.Fatalf("claimed %d, published %d: %v", claimed, published, err)
	}
	if n := f.pending(t); n != 1 {
		t.Fatalf("%d rows unpublished after the rollback, want 1", n)
	}

	pub := &counting{pub: f.pub}
	run(t, outbox.New(postgres.NewOutbox(f.db.DB), postgres.NewOutboxListener(f.dbURL, 5*time.Millisecond, 20*time.Millisecond, nil), pub, nil, nil, fastConfig()))
	waitFor(t, "row published", func() bool { return f.pending(t) == 0 })
	if n := pub.calls.Load(); n != 1 {
		t.Fatalf("relay published %d times, want 1", n)
	}
	if got, want := msgIDs(t, f.streamMsgs(t)), wantIDs(evs); !reflect.DeepEqual(got, want) {
		t.Fatalf("stream holds %v, want %v", got, want)
	}
}

// A relay that dies after the row was committed and claimed but before
// publishing (SIGKILL: its connection drops, its transaction rolls back)
// leaves the row to the next relay, which publishes it once.
func TestRelayDyingBeforePublishLosesNothing(t *testing.T) {
	t.Parallel()
	f := setup(t)
	evs := submitted(3)
	f.appendEvents(t, evs)
	ctx := context.Background()

	claimed, _, err := postgres.NewOutbox(f.db.DB).PublishBatch(ctx, 10, func(context.Context, idv.OutboxRow) error {
		return errDied
	})
	if claimed != 3 || !errors.Is(err, errDied) {
		t.Fatalf("claimed %d rows: %v", claimed, err)
	}
	// The process dies: PostgreSQL rolls back what its dropped connection
	// left uncommitted.

	pub := &counting{pub: f.pub}
	run(t, outbox.New(postgres.NewOutbox(f.db.DB), postgres.NewOutboxListener(f.dbURL, 5*time.Millisecond, 20*time.Millisecond, nil), pub, nil, nil, fastConfig()))
	waitFor(t, "rows published", func() bool { return f.pending(t) == 0 })
	if n := pub.calls.Load(); n != 3 {
		t.Fatalf("relay published %d times, want 3", n)
	}
	if got, want := msgIDs(t, f.streamMsgs(t)), wantIDs(evs); !reflect.DeepEqual(got, want) {
		t.Fatalf("stream holds %v, want %v", got, want)
	}
}

func TestNotifyWakesRelay(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.appendEvents(t, submitted(1)) // before the relay listens: found by its first drains
	cfg := fastConfig()
	cfg.PollInterval = time.Hour
	r := outbox.New(postgres.NewOutbox(f.db.DB), postgres.NewOutboxListener(f.dbURL, 5*time.Millisecond, 20*time.Millisecond, nil), f.pub, nil, nil, cfg)
	run(t, r)
	select {
	case <-outbox.Listening(r):
	case <-time.After(30 * time.Second):
		t.Fatal("relay never listened")
	}
	if n := f.pending(t); n != 0 {
		t.Fatalf("%d rows appended before LISTEN still unpublished", n)
	}
	// The poll is an hour away: only the notification can wake the relay.
	for i := range 3 {
		f.appendEvents(t, submitted(1))
		waitFor(t, fmt.Sprintf("row %d published", i), func() bool { return f.pending(t) == 0 })
	}
	if msgs := f.streamMsgs(t); len(msgs) != 4 {
		t.Fatalf("stream holds %d messages, want 4", len(msgs))
	}
}

func TestListenerReconnects(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cfg := fastConfig()
	cfg.PollInterval = time.Hour
	r := outbox.New(postgres.NewOutbox(f.db.DB), postgres.NewOutboxListener(f.dbURL, 5*time.Millisecond, 20*time.Millisecond, nil), f.pub, nil, nil, cfg)
	run(t, r)
	select {
	case <-outbox.Listening(r):
	case <-time.After(30 * time.Second):
		t.Fatal("relay never listened")
	}
	var killed int
	if err := f.db.Get(&killed, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %'`); err != nil || killed != 1 {
		t.Fatalf("terminated %d LISTEN connections: %v", killed, err)
	}
	// Whether this lands before or after the listener is back, it must go
	// out without the hour-long poll: notifications lost while disconnected
	// are made up for by a drain after reconnecting.
	f.appendEvents(t, submitted(1))
	waitFor(t, "row published", func() bool { return f.pending(t) == 0 })
	waitFor(t, "LISTEN again", func() bool {
		var n int
		f.db.Get(&n, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'`)
		return n == 1
	})
	f.appendEvents(t, submitted(1))
	waitFor(t, "row published", func() bool { return f.pending(t) == 0 })
}

func TestPollsWithoutListener(t *testing.T) {
	t.Parallel()
	f := setup(t)
	run(t, outbox.New(postgres.NewOutbox(f.db.DB), nil, f.pub, nil, nil, fastConfig()))
	f.appendEvents(t, submitted(5))
	waitFor(t, "rows published", func() bool { return f.pending(t) == 0 })
	if msgs := f.streamMsgs(t); len(msgs) != 5 {
		t.Fatalf("stream holds %d messages, want 5", len(msgs))
	}
}

func TestPrunesPublishedRowsPastRetention(t *testing.T) {
	t.Parallel()
	f := setup(t)
	evs := submitted(7)
	f.appendEvents(t, evs)
	// Two old published rows, two recent published ones, three unpublished
	// (one of them old).
	if _, err := f.db.Exec(`UPDATE outbox SET published_at = CASE
		WHEN msg_id = ANY($1) THEN now() - interval '25 hours'
		WHEN msg_id = ANY($2) THEN now() - interval '1 hour' END,
		created_at = CASE WHEN msg_id = $3 THEN now() - interval '30 hours' ELSE created_at END`,
		pq.Array(wantIDs(evs[:2])), pq.Array(wantIDs(evs[2:4])), evs[4].MsgID); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, want := range []int64{1, 1, 0} {
		n, err := postgres.NewOutbox(f.db.DB).Prune(ctx, 24*time.Hour, 1)
		if err != nil || n != want {
			t.Fatalf("pruned %d (%v), want %d", n, err, want)
		}
	}
	var left []string
	if err := f.db.Select(&left, `SELECT msg_id FROM outbox ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	if want := wantIDs(evs[2:]); !reflect.DeepEqual(left, want) {
		t.Fatalf("left %v, want %v", left, want)
	}

	// The relay prunes by itself, in bounded batches.
	if _, err := f.db.Exec(`UPDATE outbox SET published_at = now() - interval '2 hours' WHERE published_at IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	cfg := fastConfig()
	cfg.Retention = time.Hour
	cfg.PruneInterval = 10 * time.Millisecond
	cfg.PruneBatch = 1
	run(t, outbox.New(postgres.NewOutbox(f.db.DB), postgres.NewOutboxListener(f.dbURL, 5*time.Millisecond, 20*time.Millisecond, nil), &failing{pub: f.pub}, nil, nil, cfg))
	waitFor(t, "old rows pruned", func() bool {
		var n int
		f.db.Get(&n, `SELECT count(*) FROM outbox`)
		return n == 3
	})
	if n := f.pending(t); n != 3 {
		t.Fatalf("%d unpublished rows left, want 3: pruning must never touch them", n)
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	const lo, hi = 100 * time.Millisecond, 10 * time.Second
	for _, tc := range []struct {
		failures int
		want     time.Duration // before jitter
	}{
		{1, lo},
		{2, 2 * lo},
		{4, 8 * lo},
		{7, 64 * lo},
		{8, hi},
		{1000, hi},
	} {
		for range 50 {
			got := outbox.Backoff(lo, hi, tc.failures)
			if got > tc.want || got < tc.want*4/5 {
				t.Fatalf("backoff after %d failures: %v, want %v less at most a fifth", tc.failures, got, tc.want)
			}
		}
	}
}

// errDied stands for a relay process that died part-way through a batch.
var errDied = errors.New("relay died before its commit")
