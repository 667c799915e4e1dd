package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/schemas"
)

// retentionBundle is one retention test's system: its own main database and
// key store, a vault over the latter, and a tenant.
type retentionBundle struct {
	db        *sqlx.DB
	vault     *vault.Vault
	sessions  *postgres.Sessions
	retention *postgres.Retention
	now       time.Time // the test's present, at the database's precision
	tenant    uuid.UUID
}

func setupRetention(t *testing.T) *retentionBundle {
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
	b := &retentionBundle{
		db:        db,
		vault:     vault.New(master, pgtest.NewDB(t, schemas.KeyStoreMigrations()).DB),
		sessions:  postgres.NewSessions(db.DB),
		retention: postgres.NewRetention(db.DB),
		now:       time.Now().UTC().Truncate(time.Microsecond),
	}
	b.tenant = b.newTenant(t)
	return b
}

func (b *retentionBundle) newTenant(t *testing.T) uuid.UUID {
	t.Helper()
	id := uuid.New()
	secret, err := b.vault.SealSecret(id, "webhook", []byte("whsec_"+rand.Text()))
	if err != nil {
		t.Fatal(err)
	}
	hash := make([]byte, 32)
	rand.Read(hash)
	err = postgres.NewTenants(b.db.DB).Create(t.Context(), idv.Tenant{ID: id, Name: "Tenant " + id.String()[:8],
		RetentionDays: 7, WebhookURL: "https://hooks.example.test/idv", WebhookSecretSealed: secret,
		Policy: schemas.DefaultPolicy()}, idv.APIKey{ID: rand.Text(), TenantID: id, SecretHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// retentionExpiry is the expires_at the schema demands of a session created at
// created with a retention of days.
func retentionExpiry(created time.Time, days int) time.Time {
	return created.Add(time.Duration(days) * 24 * time.Hour).UTC().Truncate(time.Hour)
}

// newSession stores a session of tenant created at created (in the past if
// the test wants it expired) with its key pair wrapped by the vault, as the
// API does, and returns its id and the wrapped key as stored.
func (b *retentionBundle) newSession(t *testing.T, tenant uuid.UUID, created time.Time, days int) (uuid.UUID, idv.WrappedKey) {
	t.Helper()
	ctx := t.Context()
	id := uuid.New()
	created = created.UTC().Truncate(time.Microsecond)
	expires := retentionExpiry(created, days)
	wk, err := b.vault.NewSessionKey(ctx, tenant, id, expires)
	if err != nil {
		t.Fatal(err)
	}
	hash := make([]byte, 32)
	rand.Read(hash)
	err = b.sessions.Create(ctx, idv.Session{ID: id, TenantID: tenant, Status: idv.StatusCreated,
		Checks: []string{schemas.CheckDocument}, SelfieFrames: 1, RetentionDays: days, CreatedAt: created,
		ExpiresAt: expires, AppTokenHash: hash, AppTokenExpiresAt: created.Add(time.Hour)},
		idv.WrappedKey{SessionID: id, TenantID: tenant, Epoch: wk.Epoch, PublicKey: wk.PublicKey, Wrapped: wk.Wrapped})
	if err != nil {
		t.Fatal(err)
	}
	return id, wk
}

// submit submits a stored session as the API does.
func (b *retentionBundle) submit(t *testing.T, tenant, id uuid.UUID, at time.Time) {
	t.Helper()
	err := b.sessions.Submit(t.Context(), tenant, id, 1, at, idv.Event{
		TenantID: tenant, MsgID: schemas.MsgID(schemas.TypeSessionSubmitted, id.String()),
		Type: schemas.TypeSessionSubmitted, Subject: schemas.Subject(schemas.TypeSessionSubmitted, id.String()),
		Body: schemas.SessionSubmitted{SessionID: id.String(), TenantID: tenant.String(),
			Checks: []string{schemas.CheckDocument}, SubmittedAt: at},
	})

	if err != nil {
		t.Fatal(err)
	}
}

// exec runs a fixture statement.
func (b *retentionBundle) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if _, err := b.db.ExecContext(t.Context(), query, args...); err != nil {
		t.Fatal(err)
	}
}

// decide stands in for the decision stage: the session is decided approved.
func (b *retentionBundle) decide(t *testing.T, id uuid.UUID, at time.Time) {
	t.Helper()
	b.exec(t, `UPDATE sessions SET status = 'decided', decision = 'approved', decided_at = $2 WHERE session_id = $1`, id, at)
}

// wiped stands in for the wipe stage: key row gone, session deleted.
func (b *retentionBundle) wiped(t *testing.T, id uuid.UUID, at time.Time) {
	t.Helper()
	b.exec(t, `DELETE FROM session_keys WHERE session_id = $1`, id)
	b.exec(t, `UPDATE sessions SET status = 'deleted', deleted_at = $2, key_destroyed_at = $2,
		wipe_reason = coalesce(wipe_reason, 'expired'), wipe_requested_at = coalesce(wipe_requested_at, $2)
		WHERE session_id = $1`, id, at)
}

type retentionState struct {
	Status          string     `db:"status"`
	Decision        *string    `db:"decision"`
	DecidedAt       *time.Time `db:"decided_at"`
	WipeReason      *string    `db:"wipe_reason"`
	WipeRequestedAt *time.Time `db:"wipe_requested_at"`
	ExpiresAt       time.Time  `db:"expires_at"`
}

func (b *retentionBundle) state(t *testing.T, id uuid.UUID) retentionState {
	t.Helper()
	var s retentionState
	if err := b.db.GetContext(t.Context(), &s, `SELECT status, decision, decided_at, wipe_reason, wipe_requested_at, expires_at
		FROM sessions WHERE session_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return s
}

type retentionOutboxRow struct {
	Seq     int64  `db:"seq"`
	MsgID   string `db:"msg_id"`
	Type    string `db:"type"`
	Subject string `db:"subject"`
	Body    []byte `db:"body"`
}

// events returns the session's outbox events of a type, in outbox order,
// after checking their id, subject and schema.
func (b *retentionBundle) events(t *testing.T, id uuid.UUID, eventType string) []retentionOutboxRow {
	t.Helper()
	var evs []retentionOutboxRow
	if err := b.db.SelectContext(t.Context(), &evs, `SELECT seq, msg_id, type, subject, body FROM outbox
		WHERE body->>'session_id' = $1 AND type = $2 ORDER BY seq`, id.String(), eventType); err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.MsgID != schemas.MsgID(eventType, id.String()) || ev.Subject != schemas.Subject(eventType, id.String()) {
			t.Fatalf("%s event of %s with msg id %q, subject %q", eventType, id, ev.MsgID, ev.Subject)
		}
		if err := schemas.ValidateEvent(eventType, ev.Body); err != nil {
			t.Fatalf("%s event %s: %v", eventType, ev.Body, err)
		}
	}
	return evs
}

// expiredEvent returns the session's one idv.session.expired body, failing
// unless there is exactly one.
func (b *retentionBundle) expiredEvent(t *testing.T, id uuid.UUID) (schemas.SessionExpired, int64) {
	t.Helper()
	evs := b.events(t, id, schemas.TypeSessionExpired)
	if len(evs) != 1 {
		t.Fatalf("%d expired events for %s, want 1", len(evs), id)
	}
	var body schemas.SessionExpired
	if err := json.Unmarshal(evs[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	return body, evs[0].Seq
}

// decidedEvent returns the session's one idv.session.decided body.
func (b *retentionBundle) decidedEvent(t *testing.T, id uuid.UUID) (schemas.SessionDecided, int64) {
	t.Helper()
	evs := b.events(t, id, schemas.TypeSessionDecided)
	if len(evs) != 1 {
		t.Fatalf("%d decided events for %s, want 1", len(evs), id)
	}
	var body schemas.SessionDecided
	if err := json.Unmarshal(evs[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	return body, evs[0].Seq
}

func (b *retentionBundle) outboxCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := b.db.GetContext(t.Context(), &n, `SELECT count(*) FROM outbox`); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestClaimExpiredRequestsEachWipeOnce(t *testing.T) {
	t.Parallel()
	b := setupRetention(t)
	ctx := t.Context()
	day := 24 * time.Hour
	// Three sessions past their deadline in each state a live session can
	// be in, earliest deadline first, and one still within it.
	created, _ := b.newSession(t, b.tenant, b.now.Add(-10*day), 7)
	submitted, _ := b.newSession(t, b.tenant, b.now.Add(-9*day), 7)
	b.submit(t, b.tenant, submitted, b.now.Add(-9*day+time.Minute))
	decided, _ := b.newSession(t, b.tenant, b.now.Add(-8*day), 7)
	b.submit(t, b.tenant, decided, b.now.Add(-8*day+time.Minute))
	b.decide(t, decided, b.now.Add(-8*day+2*time.Minute))
	fresh, _ := b.newSession(t, b.tenant, b.now, 7)

	if _, err := b.retention.ClaimExpired(ctx, b.now, 0, idv.Sweep); err == nil {
		t.Fatal("ClaimExpired with limit 0: no error")
	}
	// A limit of 2 takes the two earliest deadlines, then the third.
	n, err := b.retention.ClaimExpired(ctx, b.now, 2, idv.Sweep)
	if err != nil || n != 2 {
		t.Fatalf("first claim: %d, %v; want 2", n, err)
	}
	if s := b.state(t, decided); s.WipeRequestedAt != nil {
		t.Fatalf("latest deadline claimed before the earlier ones: %+v", s)
	}
	n, err = b.retention.ClaimExpired(ctx, b.now, 2, idv.Sweep)
	if err != nil || n != 1 {
		t.Fatalf("second claim: %d, %v; want 1", n, err)
	}
	before := b.outboxCount(t)
	n, err = b.retention.ClaimExpired(ctx, b.now.Add(time.Minute), 100, idv.Sweep)
	if err != nil || n != 0 {
		t.Fatalf("third claim: %d, %v; want 0", n, err)
	}
	if after := b.outboxCount(t); after != before {
		t.Fatalf("a claim that found nothing appended %d events", after-before)
	}

	for _, id := range []uuid.UUID{created, submitted, decided} {
		s := b.state(t, id)
		if s.Status != string(idv.StatusExpired) || s.WipeReason == nil || *s.WipeReason != schemas.WipeExpired ||
			s.WipeRequestedAt == nil || !s.WipeRequestedAt.Equal(b.now) {
			t.Fatalf("session %s after the claim: %+v", id, s)
		}
		body, expiredSeq := b.expiredEvent(t, id)
		want := schemas.SessionExpired{SessionID: id.String(), TenantID: b.tenant.String(), Reason: schemas.WipeExpired,
			ExpiresAt: s.ExpiresAt, RequestedAt: b.now}
		if body.SessionID != want.SessionID || body.TenantID != want.TenantID || body.Reason != want.Reason ||
			!body.ExpiresAt.Equal(want.ExpiresAt) || !body.RequestedAt.Equal(want.RequestedAt) {
			t.Fatalf("expired event of %s: %+v, want %+v", id, body, want)
		}
		if id == decided {
			// Its decision stands, and nothing re-announces it.
			if s.Decision == nil || *s.Decision != schemas.DecisionApproved {
				t.Fatalf("decided session's decision changed: %+v", s)
			}
			if evs := b.events(t, id, schemas.TypeSessionDecided); len(evs) != 0 {
				t.Fatalf("claim announced a decided session's decision again: %d events", len(evs))
			}
			continue
		}
		// An undecided session ends decided expired, announced before its wipe.
		if s.Decision == nil || *s.Decision != schemas.DecisionExpired || s.DecidedAt == nil || !s.DecidedAt.Equal(b.now) {
			t.Fatalf("undecided session %s after the claim: %+v", id, s)
		}
		dec, decidedSeq := b.decidedEvent(t, id)
		if dec.Decision != schemas.DecisionExpired || !dec.DecidedAt.Equal(b.now) || dec.TenantID != b.tenant.String() {
			t.Fatalf("decided event of %s: %+v", id, dec)
		}
		if decidedSeq > expiredSeq {
			t.Fatalf("session %s: expired event (seq %d) ahead of its decided event (seq %d)", id, expiredSeq, decidedSeq)
		}
	}
	if s := b.state(t, fresh); s.Status != string(idv.StatusCreated) || s.WipeRequestedAt != nil || s.Decision != nil {
		t.Fatalf("session within its retention touched: %+v", s)
	}
	if evs := b.events(t, fresh, schemas.TypeSessionExpired); len(evs) != 0 {
		t.Fatalf("session within its retention has %d expired events", len(evs))
	}
}

func TestRequestWipeIsIdempotentAndTenantScoped(t *testing.T) {
	t.Parallel()
	b := setupRetention(t)
	ctx := t.Context()
	other := b.newTenant(t)
	id, _ := b.newSession(t, b.tenant, b.now, 7)

	for name, tenant := range map[string]uuid.UUID{"another tenant's session": other, "unknown tenant": uuid.New()} {
		if err := idv.RequestWipe(ctx, b.sessions, tenant, id, schemas.WipeCustomerRequest, b.now); !errors.Is(err, idv.ErrNotFound) {
			t.Fatalf("%s: %v, want ErrNotFound", name, err)
		}
	}
	if err := idv.RequestWipe(ctx, b.sessions, b.tenant, uuid.New(), schemas.WipeCustomerRequest, b.now); !errors.Is(err, idv.ErrNotFound) {
		t.Fatalf("unknown session: %v, want ErrNotFound", err)
	}
	if err := idv.RequestWipe(ctx, b.sessions, b.tenant, id, "because", b.now); err == nil {
		t.Fatal("unknown reason accepted")
	}
	if s := b.state(t, id); s.WipeRequestedAt != nil || b.outboxCount(t) != 0 {
		t.Fatalf("refused requests changed something: %+v, %d events", s, b.outboxCount(t))
	}

	if err := idv.RequestWipe(ctx, b.sessions, b.tenant, id, schemas.WipeCustomerRequest, b.now); err != nil {
		t.Fatal(err)
	}
	s := b.state(t, id)
	if s.Status != string(idv.StatusExpired) || *s.WipeReason != schemas.WipeCustomerRequest || !s.WipeRequestedAt.Equal(b.now) ||
		s.Decision != nil {
		t.Fatalf("after the request: %+v", s)
	}
	body, _ := b.expiredEvent(t, id)
	if body.Reason != schemas.WipeCustomerRequest || !body.ExpiresAt.Equal(s.ExpiresAt) || !body.RequestedAt.Equal(b.now) {
		t.Fatalf("expired event: %+v", body)
	}

	// Again, later, for another reason, and once the deadline passes: the
	// first request stands and nothing more is appended.
	later := b.now.Add(time.Hour)
	if err := idv.RequestWipe(ctx, b.sessions, b.tenant, id, schemas.WipeDeclinedByUser, later); err != nil {
		t.Fatal(err)
	}
	if n, err := b.retention.ClaimExpired(ctx, s.ExpiresAt.Add(time.Hour), 100, idv.Sweep); err != nil || n != 0 {
		t.Fatalf("claim after an early erasure: %d, %v; want 0", n, err)
	}
	if again := b.state(t, id); *again.WipeReason != schemas.WipeCustomerRequest || !again.WipeRequestedAt.Equal(b.now) {
		t.Fatalf("a repeated request changed the session: %+v", again)
	}
	b.expiredEvent(t, id) // still exactly one
	if n := b.outboxCount(t); n != 1 {
		t.Fatalf("%d outbox events, want 1", n)
	}

	// A session already wiped is left as it is.
	gone, _ := b.newSession(t, b.tenant, b.now, 7)
	b.wiped(t, gone, b.now)
	if err := idv.RequestWipe(ctx, b.sessions, b.tenant, gone, schemas.WipeCustomerRequest, later); err != nil {
		t.Fatal(err)
	}
	if s := b.state(t, gone); s.Status != string(idv.StatusDeleted) || !s.WipeRequestedAt.Equal(b.now) {
		t.Fatalf("deleted session after a request: %+v", s)
	}
	if evs := b.events(t, gone, schemas.TypeSessionExpired); len(evs) != 0 {
		t.Fatalf("deleted session got %d expired events", len(evs))
	}
}

func TestDecline(t *testing.T) {
	t.Parallel()
	b := setupRetention(t)
	ctx := t.Context()
	other := b.newTenant(t)

	created, _ := b.newSession(t, b.tenant, b.now, 7)
	submitted, _ := b.newSession(t, b.tenant, b.now, 7)
	b.submit(t, b.tenant, submitted, b.now)
	for _, id := range []uuid.UUID{created, submitted} {
		if err := decline(ctx, b.sessions, other, id, b.now); !errors.Is(err, idv.ErrNotFound) {
			t.Fatalf("decline as another tenant: %v, want ErrNotFound", err)
		}
		if err := decline(ctx, b.sessions, b.tenant, id, b.now); err != nil {
			t.Fatalf("decline %s: %v", id, err)
		}
		s := b.state(t, id)
		if s.Status != string(idv.StatusExpired) || *s.Decision != schemas.DecisionDeclinedByUser || !s.DecidedAt.Equal(b.now) ||
			*s.WipeReason != schemas.WipeDeclinedByUser || !s.WipeRequestedAt.Equal(b.now) {
			t.Fatalf("declined session: %+v", s)
		}
		dec, decSeq := b.decidedEvent(t, id)
		if dec.Decision != schemas.DecisionDeclinedByUser || !dec.DecidedAt.Equal(b.now) || dec.SessionID != id.String() {
			t.Fatalf("decided event: %+v", dec)
		}
		exp, expSeq := b.expiredEvent(t, id)
		if exp.Reason != schemas.WipeDeclinedByUser || !exp.RequestedAt.Equal(b.now) || !exp.ExpiresAt.Equal(s.ExpiresAt) {
			t.Fatalf("expired event: %+v", exp)
		}
		if decSeq > expSeq {
			t.Fatalf("expired event ahead of the decided one")
		}
		// The app retrying its decline finds it done; nothing more goes out.
		if err := decline(ctx, b.sessions, b.tenant, id, b.now.Add(time.Minute)); err != nil {
			t.Fatalf("repeated decline: %v", err)
		}
		b.decidedEvent(t, id)
		b.expiredEvent(t, id)
		if again := b.state(t, id); !again.DecidedAt.Equal(b.now) {
			t.Fatalf("repeated decline changed the session: %+v", again)
		}
	}

	// Too late: already decided otherwise, or already being erased.
	decided, _ := b.newSession(t, b.tenant, b.now, 7)
	b.submit(t, b.tenant, decided, b.now)
	b.decide(t, decided, b.now)
	erased, _ := b.newSession(t, b.tenant, b.now, 7)
	if err := idv.RequestWipe(ctx, b.sessions, b.tenant, erased, schemas.WipeCustomerRequest, b.now); err != nil {
		t.Fatal(err)
	}
	before := b.outboxCount(t)
	for name, id := range map[string]uuid.UUID{"decided": decided, "erased": erased} {
		if err := decline(ctx, b.sessions, b.tenant, id, b.now); !errors.Is(err, idv.ErrConflict) {
			t.Fatalf("decline a %s session: %v, want ErrConflict", name, err)
		}
	}
	if s := b.state(t, decided); *s.Decision != schemas.DecisionApproved || s.WipeRequestedAt != nil {
		t.Fatalf("refused decline changed the decided session: %+v", s)
	}
	if s := b.state(t, erased); s.Decision != nil || *s.WipeReason != schemas.WipeCustomerRequest {
		t.Fatalf("refused decline changed the erased session: %+v", s)
	}
	if after := b.outboxCount(t); after != before {
		t.Fatalf("refused declines appended %d events", after-before)
	}
}

func TestOverdue(t *testing.T) {
	t.Parallel()
	b := setupRetention(t)
	ctx := t.Context()
	day := 24 * time.Hour

	n, oldest, err := b.retention.Overdue(ctx, b.now)
	if err != nil || n != 0 || !oldest.IsZero() {
		t.Fatalf("empty database: %d, %v, %v; want 0 and the zero time", n, oldest, err)
	}

	gone, _ := b.newSession(t, b.tenant, b.now.Add(-20*day), 7)
	b.wiped(t, gone, b.now.Add(-13*day))
	first, _ := b.newSession(t, b.tenant, b.now.Add(-10*day), 7)
	second, _ := b.newSession(t, b.newTenant(t), b.now.Add(-9*day), 7)
	b.newSession(t, b.tenant, b.now.Add(-time.Hour), 7)
	firstCreated := b.now.Add(-10 * day)

	n, oldest, err = b.retention.Overdue(ctx, b.now)
	if err != nil || n != 2 || !oldest.Equal(firstCreated) {
		t.Fatalf("overdue %d, oldest %v, %v; want 2, %v", n, oldest, err, firstCreated)
	}
	// Claimed is not deleted: still overdue until the wipe is done.
	if c, err := b.retention.ClaimExpired(ctx, b.now, 100, idv.Sweep); err != nil || c != 2 {
		t.Fatalf("claim: %d, %v", c, err)
	}
	if n, _, _ := b.retention.Overdue(ctx, b.now); n != 2 {
		t.Fatalf("overdue after claiming %d, want 2", n)
	}
	b.wiped(t, first, b.now)
	n, oldest, err = b.retention.Overdue(ctx, b.now)
	if err != nil || n != 1 || !oldest.Equal(b.now.Add(-9*day)) {
		t.Fatalf("after one wipe: overdue %d, oldest %v, %v", n, oldest, err)
	}
	b.wiped(t, second, b.now)
	if n, _, _ := b.retention.Overdue(ctx, b.now); n != 0 {
		t.Fatalf("after both wipes: overdue %d, want 0", n)
	}
}

func TestLiveEpochs(t *testing.T) {
	t.Parallel()
	b := setupRetention(t)
	ctx := t.Context()
	other := b.newTenant(t)
	hour := b.now.Truncate(time.Hour)

	a1, k1 := b.newSession(t, b.tenant, hour.Add(time.Minute), 7)
	a2, _ := b.newSession(t, b.tenant, hour.Add(2*time.Minute), 7)
	_, k3 := b.newSession(t, b.tenant, hour.Add(time.Minute), 3)
	_, k4 := b.newSession(t, other, hour.Add(time.Minute), 7)
	if !k1.Epoch.Equal(retentionExpiry(hour, 7)) || !k4.Epoch.Equal(k1.Epoch) || k3.Epoch.Equal(k1.Epoch) {
		t.Fatalf("fixture epochs %v %v %v", k1.Epoch, k3.Epoch, k4.Epoch)
	}
	check := func(want map[uuid.UUID][]time.Time) {
		t.Helper()
		got, err := b.retention.LiveEpochs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("live epochs %v, want %v", got, want)
		}
		for tenant, hours := range want {
			if !slices.EqualFunc(got[tenant], hours, time.Time.Equal) {
				t.Fatalf("live epochs of %s: %v, want %v", tenant, got[tenant], hours)
			}
		}
	}
	check(map[uuid.UUID][]time.Time{b.tenant: {k3.Epoch, k1.Epoch}, other: {k4.Epoch}})
	b.wiped(t, a1, b.now)
	check(map[uuid.UUID][]time.Time{b.tenant: {k3.Epoch, k1.Epoch}, other: {k4.Epoch}})
	b.wiped(t, a2, b.now)
	check(map[uuid.UUID][]time.Time{b.tenant: {k3.Epoch}, other: {k4.Epoch}})
}

// decline is the person's refusal as the API makes it: idv.Decline over the
// session store, with the session read first.
func decline(ctx context.Context, s *postgres.Sessions, tenant, id uuid.UUID, at time.Time) error {
	sess, err := s.Get(ctx, tenant, id)
	if err != nil {
		return err
	}
	return idv.Decline(ctx, s, sess, at)
}
