package retention_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/logtest"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/producers/retention"
	"github.com/idv-oss/idv/schemas"
)

const day = 24 * time.Hour

// clock is the sweeper's controllable present.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// bundle is one test's system: a main database, a key store with a vault
// over it, a tenant, a clock and a sweeper with its own registry and logs.
type bundle struct {
	db     *sqlx.DB
	vault  *vault.Vault
	tenant uuid.UUID
	start  time.Time // the clock's first reading, at the database's precision
	clock  *clock
	reg    *prometheus.Registry
	logs   *logtest.Buffer
	sweep  *retention.Sweeper
}

func setup(t *testing.T) *bundle {
	t.Helper()
	db := pgtest.NewDB(t, schemas.MainMigrations())
	s, err := vault.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	master, err := vault.ParseMasterKey(s)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Truncate(time.Microsecond)
	b := &bundle{db: db, vault: vault.New(master, pgtest.NewDB(t, schemas.KeyStoreMigrations()).DB),
		start: start, clock: &clock{now: start}}
	b.sweep, b.reg, b.logs = b.newSweeper(retention.Config{})
	b.tenant = b.newTenant(t)
	return b
}

// auditSigner signs with the vault's audit key, as cmd/idv wires it.
func (b *bundle) auditSigner() idv.StatementSigner {
	return func(ctx context.Context, statement []byte) ([]byte, string, error) {
		return b.vault.Sign(ctx, vault.PurposeAudit, statement)
	}
}

// newSweeper returns a sweeper over the bundle's databases with a registry
// and log of its own, as one replica would have.
func (b *bundle) newSweeper(cfg retention.Config) (*retention.Sweeper, *prometheus.Registry, *logtest.Buffer) {
	reg := prometheus.NewRegistry()
	logs := &logtest.Buffer{}
	sw := retention.New(retention.Deps{Store: postgres.NewRetention(b.db.DB), Keys: b.vault,
		Checkpoints: postgres.NewAuditCheckpoints(b.db.DB), Heads: postgres.NewAudit(b.db.DB), Sign: b.auditSigner(),
		Now: b.clock.Now, Log: slog.New(slog.NewJSONHandler(logs, nil)), Metrics: retention.NewMetrics(reg)}, cfg)
	return sw, reg, logs
}

func (b *bundle) newTenant(t *testing.T) uuid.UUID {
	t.Helper()
	id := uuid.New()
	secret, err := b.vault.SealSecret(id, "webhook", []byte("whsec_"+rand.Text()))
	if err != nil {
		t.Fatal(err)
	}
	err = postgres.NewTenants(b.db.DB).Create(t.Context(), idv.Tenant{ID: id, Name: "Tenant " + id.String()[:8],
		RetentionDays: 7, WebhookURL: "https://hooks.example.test/idv", WebhookSecretSealed: secret,
		Policy: schemas.DefaultPolicy()}, idv.APIKey{ID: rand.Text(), TenantID: id, SecretHash: random(32)})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// newSession stores a session of the bundle's tenant created at created with
// a retention of days and a real key pair wrapped by the vault, as the API
// does. A session "in the past" is one created in the past.
func (b *bundle) newSession(t *testing.T, created time.Time, days int) uuid.UUID {
	t.Helper()
	ctx := t.Context()
	id := uuid.New()
	created = created.UTC().Truncate(time.Microsecond)
	expires := created.Add(time.Duration(days) * day).Truncate(time.Hour)
	wk, err := b.vault.NewSessionKey(ctx, b.tenant, id, expires)
	if err != nil {
		t.Fatal(err)
	}
	err = postgres.NewSessions(b.db.DB).Create(ctx, idv.Session{ID: id, TenantID: b.tenant, Status: idv.StatusCreated,
		Checks: []string{schemas.CheckDocument}, SelfieFrames: 1, RetentionDays: days, CreatedAt: created,
		ExpiresAt: expires, AppTokenHash: random(32), AppTokenExpiresAt: created.Add(time.Hour)},
		idv.WrappedKey{SessionID: id, TenantID: b.tenant, Epoch: wk.Epoch, PublicKey: wk.PublicKey, Wrapped: wk.Wrapped})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (b *bundle) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if _, err := b.db.ExecContext(t.Context(), query, args...); err != nil {
		t.Fatal(err)
	}
}

// dumpKey copies a session's wrapped key as a database dump would hold it.
func (b *bundle) dumpKey(t *testing.T, id uuid.UUID) idv.WrappedKey {
	t.Helper()
	k, err := postgres.NewSessions(b.db.DB).Key(t.Context(), b.tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// wiped stands in for the wipe stage: the key row is deleted (crypto-shredding
// in the main database) and the session becomes a tombstone.
func (b *bundle) wiped(t *testing.T, ids ...uuid.UUID) {
	t.Helper()
	for _, id := range ids {
		b.exec(t, `DELETE FROM session_keys WHERE session_id = $1`, id)
		b.exec(t, `UPDATE sessions SET status = 'deleted', deleted_at = $2, key_destroyed_at = $2 WHERE session_id = $1`,
			id, b.clock.Now())
	}
}

func (b *bundle) status(t *testing.T, id uuid.UUID) (status string, decision *string) {
	t.Helper()
	if err := b.db.QueryRowContext(t.Context(), `SELECT status, decision FROM sessions WHERE session_id = $1`, id).
		Scan(&status, &decision); err != nil {
		t.Fatal(err)
	}
	return status, decision
}

// count runs a count query.
func (b *bundle) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := b.db.GetContext(t.Context(), &n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// metric reads a counter or gauge of reg, or a histogram's sample count.
func metric(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		m := f.GetMetric()
		if len(m) != 1 {
			t.Fatalf("%s has %d series, want 1 (no labels)", name, len(m))
		}
		if len(m[0].GetLabel()) != 0 {
			t.Fatalf("%s has labels %v", name, m[0].GetLabel())
		}
		switch {
		case m[0].Counter != nil:
			return m[0].GetCounter().GetValue()
		case m[0].Gauge != nil:
			return m[0].GetGauge().GetValue()
		case m[0].Histogram != nil:
			return float64(m[0].GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func (b *bundle) round(t *testing.T) retention.Round {
	t.Helper()
	rd, err := b.sweep.RunOnce(t.Context())
	if err != nil {
		t.Fatalf("round: %v", err)
	}
	return rd
}

func TestRoundsRequestWipesThenDestroyEpochs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	now := b.start

	// Due: three sessions of one expiry hour in every live state, and one of
	// an earlier hour whose wipe will be slow.
	created := b.newSession(t, now.Add(-8*day), 7)
	submitted := b.newSession(t, now.Add(-8*day), 7)
	decided := b.newSession(t, now.Add(-8*day), 7)
	slow := b.newSession(t, now.Add(-10*day), 7)
	b.exec(t, `UPDATE sessions SET status = 'submitted', submitted_at = $2 WHERE session_id = ANY(ARRAY[$1, $3]::uuid[])`,
		submitted, now.Add(-8*day), decided)
	b.exec(t, `UPDATE sessions SET status = 'decided', decision = 'approved', decided_at = $2 WHERE session_id = $1`,
		decided, now.Add(-8*day))
	// Not due: one within its retention, and one erased early whose hour is
	// still ahead.
	live := b.newSession(t, now, 7)
	erased := b.newSession(t, now, 3)
	if err := idv.RequestWipe(ctx, postgres.NewSessions(b.db.DB), b.tenant, erased, schemas.WipeCustomerRequest, now); err != nil {
		t.Fatal(err)
	}
	dumps := map[uuid.UUID]idv.WrappedKey{}
	for _, id := range []uuid.UUID{created, submitted, decided, slow, live, erased} {
		dumps[id] = b.dumpKey(t, id)
	}
	b.wiped(t, erased)

	rd := b.round(t)
	if rd.Claimed != 4 || rd.EpochsDestroyed != 0 || rd.Overdue != 4 || !rd.Oldest.Equal(now.Add(-10*day)) {
		t.Fatalf("first round: %+v", rd)
	}
	for _, id := range []uuid.UUID{created, submitted, decided, slow} {
		if st, _ := b.status(t, id); st != string(idv.StatusExpired) {
			t.Fatalf("due session %s is %s after the round", id, st)
		}
		if n := b.count(t, `SELECT count(*) FROM outbox WHERE msg_id = $1`, schemas.MsgID(schemas.TypeSessionExpired, id.String())); n != 1 {
			t.Fatalf("%d expired events for %s", n, id)
		}
	}
	if st, dec := b.status(t, created); dec == nil || *dec != schemas.DecisionExpired || st != string(idv.StatusExpired) {
		t.Fatalf("undecided session not decided expired: %s %v", st, dec)
	}
	if st, _ := b.status(t, live); st != string(idv.StatusCreated) {
		t.Fatalf("session within its retention is %s", st)
	}
	if got := metric(t, b.reg, "idv_retention_claimed_total"); got != 4 {
		t.Fatalf("claimed_total %v, want 4", got)
	}
	if got := metric(t, b.reg, "idv_retention_overdue_sessions"); got != 4 {
		t.Fatalf("overdue gauge %v, want 4", got)
	}
	if got, want := metric(t, b.reg, "idv_retention_oldest_personal_data_seconds"), (10 * day).Seconds(); got != want {
		t.Fatalf("oldest personal data %v s, want %v", got, want)
	}

	// The wipe does three of them; their hour's epoch key goes, the slow
	// one's stays while its key row does.
	b.wiped(t, created, submitted, decided)
	rd = b.round(t)
	if rd.Claimed != 0 || rd.EpochsDestroyed != 1 || rd.Overdue != 1 {
		t.Fatalf("second round: %+v", rd)
	}
	for _, id := range []uuid.UUID{created, submitted, decided} {
		if _, err := b.vault.Unwrap(ctx, dumps[id]); !errors.Is(err, idv.ErrEpochDestroyed) {
			t.Fatalf("a dumped key of wiped session %s: %v, want ErrEpochDestroyed", id, err)
		}
	}
	for _, id := range []uuid.UUID{slow, live, erased} {
		if _, err := b.vault.Unwrap(ctx, dumps[id]); err != nil {
			t.Fatalf("key of %s no longer opens: %v", id, err)
		}
	}
	// The round also purged the destroyed key's bytes: nothing is left.
	if purged, err := b.vault.PurgeDestroyed(ctx); err != nil || purged {
		t.Fatalf("PurgeDestroyed after the round = %v, %v; want nothing left to purge", purged, err)
	}
	if rd := b.round(t); rd.EpochsDestroyed != 0 {
		t.Fatalf("third round destroyed %d epochs again", rd.EpochsDestroyed)
	}
	b.wiped(t, slow)
	if rd := b.round(t); rd.EpochsDestroyed != 1 || rd.Overdue != 0 {
		t.Fatalf("round after the slow wipe: %+v", rd)
	}
	if _, err := b.vault.Unwrap(ctx, dumps[slow]); !errors.Is(err, idv.ErrEpochDestroyed) {
		t.Fatalf("a dumped key of the slow session: %v, want ErrEpochDestroyed", err)
	}
	if got := metric(t, b.reg, "idv_retention_overdue_sessions"); got != 0 {
		t.Fatalf("overdue gauge %v once all are wiped, want 0", got)
	}

	// The early erased session's hour passes: its epoch goes then, not
	// before; the live session's epoch stays.
	erasedHour := dumps[erased].Epoch
	b.clock.Set(erasedHour.Add(-time.Second))
	if rd := b.round(t); rd.EpochsDestroyed != 0 {
		t.Fatalf("epoch destroyed before its hour: %+v", rd)
	}
	b.clock.Set(erasedHour)
	if rd := b.round(t); rd.EpochsDestroyed != 1 || rd.Claimed != 0 || rd.Overdue != 0 {
		t.Fatalf("round at the erased session's hour: %+v", rd)
	}
	if _, err := b.vault.Unwrap(ctx, dumps[erased]); !errors.Is(err, idv.ErrEpochDestroyed) {
		t.Fatalf("a dumped key of the erased session: %v, want ErrEpochDestroyed", err)
	}
	if _, err := b.vault.Unwrap(ctx, dumps[live]); err != nil {
		t.Fatalf("live session's key: %v", err)
	}
	if got, want := metric(t, b.reg, "idv_retention_oldest_personal_data_seconds"), erasedHour.Sub(now).Seconds(); got != want {
		t.Fatalf("oldest personal data %v s, want %v", got, want)
	}
	if got := metric(t, b.reg, "idv_retention_epochs_destroyed_total"); got != 3 {
		t.Fatalf("epochs_destroyed_total %v, want 3", got)
	}
	if got := metric(t, b.reg, "idv_retention_errors_total"); got != 0 {
		t.Fatalf("errors_total %v, want 0", got)
	}
	if got := metric(t, b.reg, "idv_retention_round_duration_seconds"); got != 6 {
		t.Fatalf("%v rounds timed, want 6", got)
	}
	// Logs name ids and hours, nothing else.
	logs := b.logs.String()
	if !strings.Contains(logs, "retention: epoch key destroyed") || !strings.Contains(logs, b.tenant.String()) ||
		!strings.Contains(logs, "retention: destroyed epoch keys purged") {
		t.Fatalf("epoch destruction and purge not logged:\n%s", logs)
	}
}

func TestConcurrentRoundsClaimEachSessionOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const n = 300
	ids := make([]uuid.UUID, n)
	for i := range ids {
		// Spread over several expiry hours, all past.
		ids[i] = b.newSession(t, b.start.Add(-8*day-time.Duration(i%5)*time.Hour), 7)
	}
	cfg := retention.Config{BatchSize: 16}
	sweepers := make([]*retention.Sweeper, 2)
	regs := make([]*prometheus.Registry, 2)
	for i := range sweepers {
		sweepers[i], regs[i], _ = b.newSweeper(cfg)
	}
	rounds := make([]retention.Round, len(sweepers))
	errs := make([]error, len(sweepers))
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for i, sw := range sweepers {
		wg.Go(func() {
			<-ready
			rounds[i], errs[i] = sw.RunOnce(t.Context())
		})
	}
	close(ready)
	wg.Wait()
	claimed := 0
	for i := range sweepers {
		if errs[i] != nil {
			t.Fatalf("sweeper %d: %v", i, errs[i])
		}
		claimed += rounds[i].Claimed
		if got := metric(t, regs[i], "idv_retention_claimed_total"); int(got) != rounds[i].Claimed {
			t.Fatalf("sweeper %d counted %v claims, returned %d", i, got, rounds[i].Claimed)
		}
	}
	if claimed != n {
		t.Fatalf("claimed %d (%d + %d), want each of %d exactly once", claimed, rounds[0].Claimed, rounds[1].Claimed, n)
	}
	if got := b.count(t, `SELECT count(DISTINCT body->>'session_id') FROM outbox WHERE type = $1 AND body->>'reason' = 'expired'`,
		schemas.TypeSessionExpired); got != n {
		t.Fatalf("%d sessions with an expired event, want %d", got, n)
	}
	if got := b.count(t, `SELECT count(*) FROM outbox WHERE type = $1 AND body->>'decision' = 'expired'`,
		schemas.TypeSessionDecided); got != n {
		t.Fatalf("%d decided expired events, want %d", got, n)
	}
	if got := b.count(t, `SELECT count(*) FROM sessions WHERE status = 'expired' AND wipe_reason = 'expired'`); got != n {
		t.Fatalf("%d sessions with their wipe requested, want %d", got, n)
	}
	for i, sw := range sweepers {
		if rd, err := sw.RunOnce(t.Context()); err != nil || rd.Claimed != 0 {
			t.Fatalf("sweeper %d's next round: %+v, %v", i, rd, err)
		}
	}
}

func TestRunRetriesAfterFailuresAndStopsWithItsContext(t *testing.T) {
	t.Parallel()
	b := setup(t)
	due := b.newSession(t, b.start.Add(-8*day), 7)

	// A sweeper whose databases are unreachable counts and logs each failed
	// step and goes on to the next round.
	closed, err := postgres.Open(t.Context(), pgtest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	reg := prometheus.NewRegistry()
	logs := &logtest.Buffer{}
	closedVault := vault.New(vault.MasterKey{}, closed)
	broken := retention.New(retention.Deps{Store: postgres.NewRetention(closed), Keys: closedVault,
		Checkpoints: postgres.NewAuditCheckpoints(closed), Heads: postgres.NewAudit(closed),
		Sign: func(ctx context.Context, m []byte) ([]byte, string, error) {
			return closedVault.Sign(ctx, vault.PurposeAudit, m)
		},
		Now: b.clock.Now, Log: slog.New(slog.NewJSONHandler(logs, nil)), Metrics: retention.NewMetrics(reg)},
		retention.Config{Interval: time.Millisecond})
	if _, err := broken.RunOnce(t.Context()); err == nil {
		t.Fatal("a round against closed databases succeeded")
	}
	// Claiming, deciding late sessions, asking again for stuck wipes,
	// asking for tail sweeps, listing the tenants due an audit checkpoint,
	// listing epochs, reading the overdue figures and purging destroyed
	// keys each failed.
	if got := metric(t, reg, "idv_retention_errors_total"); got != 8 {
		t.Fatalf("errors_total %v after one failed round, want 8", got)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- broken.Run(ctx) }()
	for metric(t, reg, "idv_retention_errors_total") < 24 { // two more rounds
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v when its context ended, want nil", err)
	}
	if !strings.Contains(logs.String(), "retention: round failed, retrying next round") {
		t.Fatalf("failed rounds not logged:\n%s", logs)
	}

	// A working sweeper's Run claims the backlog in its first round.
	ctx, cancel = context.WithCancel(t.Context())
	go func() { done <- b.sweep.Run(ctx) }()
	for metric(t, b.reg, "idv_retention_claimed_total") < 1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v when its context ended, want nil", err)
	}
	if st, _ := b.status(t, due); st != string(idv.StatusExpired) {
		t.Fatalf("due session is %s after Run", st)
	}
}

// A wipe that never finishes (it used up its deliveries in a long storage
// outage) is asked for again once it is StuckAfter old — at most once an
// hour — and a finished one never is.
func TestUnfinishedWipesAreAskedForAgain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	stuck := b.newSession(t, b.start.Add(-3*day), 1)
	done := b.newSession(t, b.start.Add(-3*day), 1)
	if rd := b.round(t); rd.Claimed != 2 || rd.Rerequested != 0 {
		t.Fatalf("first round: %+v", rd)
	}
	b.exec(t, `UPDATE sessions SET status = 'deleted', deleted_at = $2 WHERE session_id = $1`, done, b.start)
	// Requests for the wipe, not the tail sweep a finished one gets.
	expired := func(id uuid.UUID) int {
		return b.count(t, `SELECT count(*) FROM outbox WHERE type = $1 AND subject = $2 AND msg_id <> $3`,
			schemas.TypeSessionExpired, schemas.Subject(schemas.TypeSessionExpired, id.String()),
			schemas.MsgID(schemas.TypeSessionExpired, id.String(), "tail"))
	}
	b.clock.Set(b.start.Add(2 * time.Hour)) // within the wipe's own retries
	if rd := b.round(t); rd.Rerequested != 0 {
		t.Fatalf("asked again too early: %+v", rd)
	}
	b.clock.Set(b.start.Add(3*time.Hour + time.Minute))
	if rd := b.round(t); rd.Rerequested != 1 || expired(stuck) != 2 || expired(done) != 1 {
		t.Fatalf("after 3 h: %+v, stuck %d events, done %d", rd, expired(stuck), expired(done))
	}
	if rd := b.round(t); rd.Rerequested != 0 || expired(stuck) != 2 {
		t.Fatalf("asked twice within the hour: %+v, %d events", rd, expired(stuck))
	}
	b.clock.Set(b.start.Add(4*time.Hour + 2*time.Minute))
	if rd := b.round(t); rd.Rerequested != 1 || expired(stuck) != 3 {
		t.Fatalf("the next hour: %+v, %d events", rd, expired(stuck))
	}
	if got := metric(t, b.reg, "idv_retention_wipes_rerequested_total"); got != 2 {
		t.Fatalf("idv_retention_wipes_rerequested_total = %v, want 2", got)
	}
	var bodies [][]byte
	if err := b.db.Select(&bodies, `SELECT body FROM outbox WHERE type = $1`, schemas.TypeSessionExpired); err != nil {
		t.Fatal(err)
	}
	for _, body := range bodies {
		if err := schemas.ValidateEvent(schemas.TypeSessionExpired, body); err != nil {
			t.Fatal(err)
		}
	}
}

// A session whose check never reports is decided review once the decision
// deadline has passed, not before, and only once.
func TestLateSessionsAreDecidedReview(t *testing.T) {
	t.Parallel()
	b := setup(t)
	waiting := b.newSession(t, b.start, 7)
	fresh := b.newSession(t, b.start, 7)
	b.exec(t, `UPDATE sessions SET status = 'submitted', submitted_at = $2 WHERE session_id = $1`, waiting, b.start)
	b.exec(t, `UPDATE sessions SET status = 'submitted', submitted_at = $2 WHERE session_id = $1`, fresh, b.start.Add(10*time.Minute))
	b.clock.Set(b.start.Add(14 * time.Minute))
	if rd := b.round(t); rd.DecidedLate != 0 {
		t.Fatalf("decided before the deadline: %+v", rd)
	}
	b.clock.Set(b.start.Add(16 * time.Minute))
	if rd := b.round(t); rd.DecidedLate != 1 {
		t.Fatalf("after the deadline: %+v", rd)
	}
	if st, d := b.status(t, waiting); st != string(idv.StatusDecided) || d == nil || *d != schemas.DecisionReview {
		t.Fatalf("waiting session is %s %v", st, d)
	}
	if st, _ := b.status(t, fresh); st != string(idv.StatusSubmitted) {
		t.Fatalf("fresh session is %s", st)
	}
	if rd := b.round(t); rd.DecidedLate != 0 {
		t.Fatalf("decided twice: %+v", rd)
	}
	var body []byte
	if err := b.db.Get(&body, `SELECT body FROM outbox WHERE subject = $1`,
		schemas.Subject(schemas.TypeSessionDecided, waiting.String())); err != nil {
		t.Fatal(err)
	}
	if err := schemas.ValidateEvent(schemas.TypeSessionDecided, body); err != nil {
		t.Fatal(err)
	}
	if got := metric(t, b.reg, "idv_retention_late_decisions_total"); got != 1 {
		t.Fatalf("idv_retention_late_decisions_total = %v", got)
	}
}

// A session waiting for a retake whose app token expired cannot get one:
// it is decided resubmission_requested with its attempt count, not left
// until its deadline; one whose token still works waits.
func TestAbandonedRetakesAreDecided(t *testing.T) {
	t.Parallel()
	b := setup(t)
	abandoned := b.newSession(t, b.start, 7)
	waiting := b.newSession(t, b.start, 7)
	for id, tokenExpires := range map[uuid.UUID]time.Time{abandoned: b.start.Add(time.Hour), waiting: b.start.Add(3 * time.Hour)} {
		b.exec(t, `UPDATE sessions SET status = 'retake_requested', attempt = 2, max_attempts = 3,
			retake = '[{"capture":"document","reasons":["blurry"]}]', app_token_expires_at = $2 WHERE session_id = $1`, id, tokenExpires)
	}
	b.clock.Set(b.start.Add(2 * time.Hour))
	if rd := b.round(t); rd.DecidedLate != 1 {
		t.Fatalf("round: %+v, want one decided", rd)
	}
	if st, d := b.status(t, abandoned); st != string(idv.StatusDecided) || d == nil || *d != schemas.DecisionResubmissionRequested {
		t.Fatalf("abandoned retake is %s %v", st, d)
	}
	if st, _ := b.status(t, waiting); st != string(idv.StatusRetakeRequested) {
		t.Fatalf("retake with a live token is %s", st)
	}
	var body []byte
	if err := b.db.Get(&body, `SELECT body FROM outbox WHERE subject = $1`,
		schemas.Subject(schemas.TypeSessionDecided, abandoned.String())); err != nil {
		t.Fatal(err)
	}
	var ev schemas.SessionDecided
	if err := json.Unmarshal(body, &ev); err != nil || ev.Attempts != 2 {
		t.Fatalf("decided event %s (%v), want 2 attempts", body, err)
	}
	if err := schemas.ValidateEvent(schemas.TypeSessionDecided, body); err != nil {
		t.Fatal(err)
	}
}

// A wiped session's prefix is swept once more after the longest upload
// policy has expired: one idv.session.expired event with its own message
// id, per session, once; not before TailAfter.
func TestTailSweepsAreAskedForOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.newSession(t, b.start, 7)
	b.exec(t, `UPDATE sessions SET wipe_reason = 'customer_request', wipe_requested_at = $2 WHERE session_id = $1`, id, b.start)
	b.wiped(t, id)
	b.clock.Set(b.start.Add(15 * time.Minute))
	if rd := b.round(t); rd.TailRequested != 0 {
		t.Fatalf("tail sweep asked for before the upload policies expired: %+v", rd)
	}
	b.clock.Set(b.start.Add(17 * time.Minute))
	if rd := b.round(t); rd.TailRequested != 1 {
		t.Fatalf("after TailAfter: %+v, want one tail sweep", rd)
	}
	if rd := b.round(t); rd.TailRequested != 0 {
		t.Fatalf("asked twice: %+v", rd)
	}
	var body []byte
	if err := b.db.Get(&body, `SELECT body FROM outbox WHERE msg_id = $1`,
		schemas.MsgID(schemas.TypeSessionExpired, id.String(), "tail")); err != nil {
		t.Fatal(err)
	}
	if err := schemas.ValidateEvent(schemas.TypeSessionExpired, body); err != nil {
		t.Fatal(err)
	}
	if got := metric(t, b.reg, "idv_retention_tail_sweeps_requested_total"); got != 1 {
		t.Fatalf("idv_retention_tail_sweeps_requested_total = %v", got)
	}
}
