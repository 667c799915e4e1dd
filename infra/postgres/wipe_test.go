package postgres_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/schemas"
)

// wipeFixture is one wipe store test's system: its own main database, two
// tenants, and a session of the first with captures and a check result.
type wipeFixture struct {
	db            *sqlx.DB
	url           string
	wipes         *postgres.Wipes
	now           time.Time
	tenant, other uuid.UUID
	session       uuid.UUID
	captures      int
	requestedAt   time.Time
	expiresAt     time.Time
	createdAt     time.Time
}

func setupWipes(t *testing.T) *wipeFixture {
	t.Helper()
	db, url := pgtest.NewDBURL(t, schemas.MainMigrations())
	f := &wipeFixture{db: db, url: url, wipes: postgres.NewWipes(db.DB), now: time.Now().UTC().Truncate(time.Microsecond)}
	f.tenant, f.other = f.newTenant(t), f.newTenant(t)
	f.session = f.newSession(t, f.tenant)
	return f
}

func (f *wipeFixture) newTenant(t testing.TB) uuid.UUID {
	t.Helper()
	id := uuid.New()
	err := postgres.NewTenants(f.db.DB).Create(t.Context(), idv.Tenant{ID: id, Name: "Tenant " + id.String()[:8],
		RetentionDays: 7, WebhookURL: "https://hooks.example.test/idv", WebhookSecretSealed: randomBytes(60),
		Policy: schemas.DefaultPolicy()}, idv.APIKey{ID: rand.Text(), TenantID: id, SecretHash: randomBytes(32)})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// newSession stores a session with a stand-in key pair (the store never
// opens it), three declared captures and a check result.
func (f *wipeFixture) newSession(t testing.TB, tenant uuid.UUID) uuid.UUID {
	t.Helper()
	ctx := t.Context()
	sessions := postgres.NewSessions(f.db.DB)
	id := uuid.New()
	f.createdAt = f.now.Add(-8 * 24 * time.Hour)
	f.expiresAt = f.createdAt.Add(7 * 24 * time.Hour).Truncate(time.Hour)
	err := sessions.Create(ctx, idv.Session{ID: id, TenantID: tenant, Status: idv.StatusCreated,
		Checks: []string{schemas.CheckDocument}, SelfieFrames: 2, RetentionDays: 7, CreatedAt: f.createdAt,
		ExpiresAt: f.expiresAt, AppTokenHash: randomBytes(32), AppTokenExpiresAt: f.createdAt.Add(time.Hour)},
		idv.WrappedKey{SessionID: id, TenantID: tenant, Epoch: f.expiresAt, PublicKey: randomBytes(32), Wrapped: randomBytes(60)})
	if err != nil {
		t.Fatal(err)
	}
	var decl []idv.Capture
	for _, c := range []struct {
		kind schemas.CaptureKind
		idx  int
	}{{schemas.DocumentFront, 0}, {schemas.Selfie, 0}, {schemas.MRZ, 0}} {
		decl = append(decl, idv.Capture{SessionID: id, TenantID: tenant, Kind: c.kind, Index: c.idx,
			ObjectKey: schemas.ObjectKey(tenant.String(), id.String(), 1, c.kind, c.idx), Size: 2048, SHA256: randomBytes(32)})
	}
	if err := sessions.DeclareCaptures(ctx, tenant, id, decl); err != nil {
		t.Fatal(err)
	}
	f.captures = len(decl)
	f.exec(t, `INSERT INTO check_results (session_id, tenant_id, check_name, outcome, engine)
		VALUES ($1, $2, 'document', 'passed', 'test/1')`, id, tenant)
	return id
}

func (f *wipeFixture) exec(t testing.TB, query string, args ...any) {
	t.Helper()
	if _, err := f.db.ExecContext(t.Context(), query, args...); err != nil {
		t.Fatal(err)
	}
}

// requestWipe does what RequestWipe does to the row (its event is not
// this store's concern).
func (f *wipeFixture) requestWipe(t *testing.T) {
	t.Helper()
	f.requestedAt = f.now.Add(-time.Minute)
	f.exec(t, `UPDATE sessions SET status = 'expired', wipe_reason = 'expired', wipe_requested_at = $2
		WHERE session_id = $1`, f.session, f.requestedAt)
}

func (f *wipeFixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.db.GetContext(t.Context(), &n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *wipeFixture) receipt(id uuid.UUID, captures int) idv.Receipt {
	return idv.Receipt{ID: id, Statement: []byte(`{"receipt_id":"` + id.String() + `"}`),
		Signature: randomBytes(64), KeyID: "0123456789abcdef", Captures: captures}
}

func (f *wipeFixture) deletedEvent(receiptID uuid.UUID, at time.Time) idv.Event {
	id := f.session.String()
	return idv.Event{TenantID: f.tenant, MsgID: schemas.MsgID(schemas.TypeSessionDeleted, id),
		Type: schemas.TypeSessionDeleted, Subject: schemas.Subject(schemas.TypeSessionDeleted, id),
		Body: schemas.SessionDeleted{SessionID: id, TenantID: f.tenant.String(), ReceiptID: receiptID.String(),
			Reason: schemas.WipeExpired, DeletedAt: at}}
}

func TestDestroySessionKey(t *testing.T) {
	t.Parallel()
	f := setupWipes(t)
	ctx := t.Context()
	keyRows := func() int {
		return f.count(t, `SELECT count(*) FROM session_keys WHERE session_id = $1`, f.session)
	}

	// Nothing is destroyed without a wipe request.
	if _, _, err := f.wipes.DestroySessionKey(ctx, f.tenant, f.session, f.now); !errors.Is(err, idv.ErrNotRequested) {
		t.Fatalf("DestroySessionKey before the request: %v, want ErrNotRequested", err)
	}
	f.requestWipe(t)
	// Another tenant's session, or none at all, is not found.
	for _, c := range []struct{ tenant, id uuid.UUID }{{f.other, f.session}, {f.tenant, uuid.New()}} {
		if _, _, err := f.wipes.DestroySessionKey(ctx, c.tenant, c.id, f.now); !errors.Is(err, idv.ErrNotFound) {
			t.Errorf("DestroySessionKey(%s, %s): %v, want ErrNotFound", c.tenant, c.id, err)
		}
	}
	if keyRows() != 1 {
		t.Fatal("the key row went before the wipe's own call")
	}

	returned, destroyed, err := f.wipes.DestroySessionKey(ctx, f.tenant, f.session, f.now)
	if err != nil || !destroyed {
		t.Fatalf("DestroySessionKey = %v, %v; want true, nil", destroyed, err)
	}
	if keyRows() != 0 {
		t.Fatal("the key row is still there")
	}
	// What it returns is what a read afterwards finds: the wipe reads
	// nothing else before FinishWipe.
	target, err := f.wipes.SessionForWipe(ctx, f.tenant, f.session)
	if err != nil {
		t.Fatal(err)
	}
	if target.KeyDestroyedAt == nil || !target.KeyDestroyedAt.Equal(f.now) || target.DeletedAt != nil || target.Captures != f.captures {
		t.Fatalf("after key destruction: %+v", target)
	}
	if !reflect.DeepEqual(returned, target) {
		t.Fatalf("DestroySessionKey returned %+v, a read finds %+v", returned, target)
	}

	// Again (a redelivery), later: nothing more to destroy; the first time stands.
	again, destroyed, err := f.wipes.DestroySessionKey(ctx, f.tenant, f.session, f.now.Add(time.Hour))
	if err != nil || destroyed {
		t.Fatalf("second DestroySessionKey = %v, %v; want false, nil", destroyed, err)
	}
	if !again.KeyDestroyedAt.Equal(f.now) {
		t.Fatalf("key_destroyed_at moved to %s", again.KeyDestroyedAt)
	}
	if target, _ := f.wipes.SessionForWipe(ctx, f.tenant, f.session); !target.KeyDestroyedAt.Equal(f.now) {
		t.Fatalf("key_destroyed_at moved to %s", target.KeyDestroyedAt)
	}
}

// Key destructions of one tenant that arrive while one of its batches
// waits (here: on a session's row lock, held by the test) are run together
// by the next batch in the same five statements, whatever its size, and
// each call gets its own answer: a wipe delivered twice destroys its key
// once, a session without a wipe request keeps its key, an unknown one is
// not found.
func TestDestroySessionKeyBatch(t *testing.T) {
	t.Parallel()
	f := setupWipes(t)
	ctx := t.Context()
	counted, count := countedPool(t, f.url, "main")
	wipes := postgres.NewWipes(counted)
	requested := []uuid.UUID{f.session, f.newSession(t, f.tenant), f.newSession(t, f.tenant), f.newSession(t, f.tenant)}
	for _, id := range requested {
		f.exec(t, `UPDATE sessions SET status = 'expired', wipe_reason = 'expired', wipe_requested_at = $2
			WHERE session_id = $1`, id, f.now.Add(-time.Minute))
	}
	notRequested, unknown := f.newSession(t, f.tenant), uuid.New()
	// The calls: the first alone, then the others, the second session twice.
	calls := []uuid.UUID{requested[0], requested[1], requested[2], requested[1], requested[3], notRequested, unknown}
	type result struct {
		target    idv.WipeTarget
		destroyed bool
		err       error
	}
	results := make([]result, len(calls))

	hold, err := f.db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	var xid string
	if err := hold.GetContext(ctx, &xid, `SELECT pg_current_xact_id()::text FROM sessions
		WHERE session_id = $1 FOR UPDATE`, requested[0]); err != nil {
		t.Fatal(err)
	}
	queueBehind(t, hold, len(calls), func(i int) {
		r := &results[i]
		r.target, r.destroyed, r.err = wipes.DestroySessionKey(ctx, f.tenant, calls[i], f.now)
	}, func() bool { return f.count(t, lockWaiters, xid) > 0 },
		func() int { return postgres.KeyDestructionsQueued(wipes, f.tenant) }, nil)

	destroyed := map[uuid.UUID]int{}
	for i, r := range results {
		switch id := calls[i]; id {
		case notRequested:
			if !errors.Is(r.err, idv.ErrNotRequested) {
				t.Errorf("the session without a wipe request: %v, want ErrNotRequested", r.err)
			}
		case unknown:
			if !errors.Is(r.err, idv.ErrNotFound) {
				t.Errorf("the unknown session: %v, want ErrNotFound", r.err)
			}
		default:
			if r.err != nil || r.target.SessionID != id || r.target.KeyDestroyedAt == nil || !r.target.KeyDestroyedAt.Equal(f.now) {
				t.Errorf("call %d (%s): %+v, %v", i, id, r.target, r.err)
			}
			if r.destroyed {
				destroyed[id]++
			}
		}
	}
	for _, id := range requested {
		if destroyed[id] != 1 {
			t.Errorf("session %s: %d calls say they destroyed its key, want 1", id, destroyed[id])
		}
	}
	if n := f.count(t, `SELECT count(*) FROM session_keys WHERE session_id = ANY($1)`, pq.Array(requested)); n != 0 {
		t.Errorf("%d key rows left of the requested sessions", n)
	}
	if n := f.count(t, `SELECT count(*) FROM session_keys WHERE session_id = $1`, notRequested); n != 1 {
		t.Errorf("the session without a wipe request has %d key rows, want 1", n)
	}
	// Two batches, each: BEGIN with its scope's two SET LOCALs (3), the
	// sessions' lock and read, the keys' deletion with its record, COMMIT.
	assertBatches(t, count, nil, 2, 6)
}

func TestFinishWipe(t *testing.T) {
	t.Parallel()
	f := setupWipes(t)
	ctx := t.Context()
	f.requestWipe(t)
	deletedAt := f.now.Add(time.Minute)
	receiptID := uuid.New()
	r := f.receipt(receiptID, f.captures)

	// Before the key is destroyed, nothing is finished.
	if err := f.wipes.FinishWipe(ctx, f.tenant, f.session, deletedAt, r, f.deletedEvent(receiptID, deletedAt)); !errors.Is(err, idv.ErrConflict) {
		t.Fatalf("FinishWipe before key destruction: %v, want ErrConflict", err)
	}
	if _, _, err := f.wipes.DestroySessionKey(ctx, f.tenant, f.session, f.now); err != nil {
		t.Fatal(err)
	}
	// A receipt that states another count is refused, and nothing is written.
	wrong := f.receipt(uuid.New(), f.captures+1)
	if err := f.wipes.FinishWipe(ctx, f.tenant, f.session, deletedAt, wrong, f.deletedEvent(wrong.ID, deletedAt)); !errors.Is(err, idv.ErrConflict) {
		t.Fatalf("FinishWipe with a wrong count: %v, want ErrConflict", err)
	}
	if n := f.count(t, `SELECT count(*) FROM captures WHERE session_id = $1`, f.session); n != f.captures {
		t.Fatalf("%d captures after a refused FinishWipe, want %d", n, f.captures)
	}
	if err := f.wipes.FinishWipe(ctx, f.other, f.session, deletedAt, r, f.deletedEvent(receiptID, deletedAt)); !errors.Is(err, idv.ErrNotFound) {
		t.Fatalf("FinishWipe as another tenant: %v, want ErrNotFound", err)
	}

	if err := f.wipes.FinishWipe(ctx, f.tenant, f.session, deletedAt, r, f.deletedEvent(receiptID, deletedAt)); err != nil {
		t.Fatal(err)
	}
	// Again, with another receipt (a redelivery builds a new one): the
	// first stands, and the caller learns so.
	again := f.receipt(uuid.New(), 0)
	if err := f.wipes.FinishWipe(ctx, f.tenant, f.session, deletedAt.Add(time.Hour), again, f.deletedEvent(again.ID, deletedAt)); !errors.Is(err, idv.ErrWipedBefore) {
		t.Fatalf("second FinishWipe: %v, want ErrWipedBefore", err)
	}

	target, err := f.wipes.SessionForWipe(ctx, f.tenant, f.session)
	if err != nil {
		t.Fatal(err)
	}
	if target.Status != "deleted" || target.DeletedAt == nil || !target.DeletedAt.Equal(deletedAt) ||
		target.ReceiptID != receiptID || target.Captures != 0 || target.WipeReason != schemas.WipeExpired ||
		!target.CreatedAt.Equal(f.createdAt) || !target.ExpiresAt.Equal(f.expiresAt) || !target.WipeRequestedAt.Equal(f.requestedAt) {
		t.Fatalf("tombstone %+v", target)
	}
	for query, want := range map[string]int{
		`SELECT count(*) FROM captures WHERE session_id = $1`:                            0,
		`SELECT count(*) FROM session_keys WHERE session_id = $1`:                        0,
		`SELECT count(*) FROM check_results WHERE session_id = $1`:                       1, // codes only: kept
		`SELECT count(*) FROM deletion_receipts WHERE session_id = $1`:                   1,
		`SELECT count(*) FROM outbox WHERE subject = 'idv.session.deleted.' || $1::text`: 1,
	} {
		if got := f.count(t, query, f.session); got != want {
			t.Errorf("%s: %d, want %d", query, got, want)
		}
	}

	stored, err := f.wipes.Receipt(ctx, f.tenant, receiptID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.ReceiptID != receiptID || stored.TenantID != f.tenant || stored.SessionID != f.session ||
		!bytes.Equal(stored.Statement, r.Statement) || !bytes.Equal(stored.Signature, r.Signature) ||
		stored.KeyID != r.KeyID || !stored.CreatedAt.Equal(deletedAt) {
		t.Fatalf("stored receipt %+v", stored)
	}
	if _, err := f.wipes.Receipt(ctx, f.other, receiptID); !errors.Is(err, idv.ErrNotFound) {
		t.Errorf("another tenant's receipt: %v, want ErrNotFound", err)
	}
	if _, err := f.wipes.Receipt(ctx, f.tenant, again.ID); !errors.Is(err, idv.ErrNotFound) {
		t.Errorf("the redelivery's receipt: %v, want ErrNotFound", err)
	}
}

// Two workers finishing the same wipe at once store one receipt and one
// event: the row lock orders them and the second finds the session deleted.
func TestFinishWipeConcurrently(t *testing.T) {
	t.Parallel()
	f := setupWipes(t)
	ctx := t.Context()
	f.requestWipe(t)
	if _, _, err := f.wipes.DestroySessionKey(ctx, f.tenant, f.session, f.now); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			r := f.receipt(uuid.New(), f.captures)
			errs[i] = f.wipes.FinishWipe(ctx, f.tenant, f.session, f.now, r, f.deletedEvent(r.ID, f.now))
		})
	}
	wg.Wait()
	finished := 0
	for i, err := range errs {
		switch {
		case err == nil:
			finished++
		case !errors.Is(err, idv.ErrWipedBefore):
			t.Errorf("worker %d: %v", i, err)
		}
	}
	if finished != 1 {
		t.Errorf("%d workers finished the wipe, want 1 (the others find it wiped before)", finished)
	}
	if n := f.count(t, `SELECT count(*) FROM deletion_receipts WHERE session_id = $1`, f.session); n != 1 {
		t.Fatalf("%d receipts, want 1", n)
	}
	if n := f.count(t, `SELECT count(*) FROM outbox WHERE type = 'idv.session.deleted'`); n != 1 {
		t.Fatalf("%d deleted events, want 1", n)
	}
}

// Wipes of one tenant that arrive while its FinishWipe batch waits on the
// audit chain (here: on the chain's lock, held by the test) are finished
// together by the next batch, and each is still whole: a wipe whose receipt
// states a wrong number of captures gets ErrConflict with nothing of it
// written, the others commit with their receipt, event and one audit entry
// each, and the chain verifies. A batch sends the same statements however
// many wipes it holds (counted: a count, not a timing).
func TestFinishWipeBatchKeepsEachWipeWhole(t *testing.T) {
	t.Parallel()
	f := setupWipes(t)
	ctx := t.Context()
	counted, count := countedPool(t, f.url, "main")
	batches := postgres.NewWipes(counted)
	sessions := []uuid.UUID{f.session, f.newSession(t, f.tenant), f.newSession(t, f.tenant), f.newSession(t, f.tenant),
		f.newSession(t, f.tenant), f.newSession(t, f.tenant)}
	type call struct {
		r  idv.Receipt
		ev idv.Event
	}
	calls := make([]call, len(sessions))
	for i, id := range sessions {
		f.session = id
		f.requestWipe(t)
		if _, _, err := f.wipes.DestroySessionKey(ctx, f.tenant, id, f.now); err != nil {
			t.Fatal(err)
		}
		r := f.receipt(uuid.New(), f.captures)
		if i == len(sessions)-1 {
			r.Captures++ // refused
		}
		calls[i] = call{r, f.deletedEvent(r.ID, f.now)}
	}
	before, err := postgres.NewAudit(f.db.DB).Verify(ctx, f.tenant)
	if err != nil {
		t.Fatal(err)
	}

	// Hold the tenant's audit chain lock, so that the first batch waits at
	// its append while the others queue.
	hold := holdChainLock(t, f.db, f.tenant)
	errs := make([]error, len(sessions))
	queueBehind(t, hold, len(sessions), func(i int) {
		errs[i] = batches.FinishWipe(ctx, f.tenant, sessions[i], f.now, calls[i].r, calls[i].ev)
	}, func() bool { return f.count(t, advisoryWaiters) > 0 },
		func() int { return postgres.FinishesQueued(batches, f.tenant) }, nil)

	for i, id := range sessions {
		receipts := f.count(t, `SELECT count(*) FROM deletion_receipts WHERE session_id = $1`, id)
		events := f.count(t, `SELECT count(*) FROM outbox WHERE subject = $1`, calls[i].ev.Subject)
		entries := f.count(t, `SELECT count(*) FROM audit_events WHERE session_id = $1 AND action = $2`, id, idv.AuditDataDeleted)
		captures := f.count(t, `SELECT count(*) FROM captures WHERE session_id = $1`, id)
		deleted := f.count(t, `SELECT count(*) FROM sessions WHERE session_id = $1 AND deleted_at IS NOT NULL`, id)
		if i == len(sessions)-1 {
			if !errors.Is(errs[i], idv.ErrConflict) {
				t.Errorf("the wipe with a wrong count: %v, want ErrConflict", errs[i])
			}
			if receipts+events+entries+deleted != 0 || captures != f.captures {
				t.Errorf("the refused wipe wrote %d receipts, %d events, %d audit entries, %d tombstones and left %d of %d captures",
					receipts, events, entries, deleted, captures, f.captures)
			}
			continue
		}
		if errs[i] != nil {
			t.Errorf("wipe %d: %v", i, errs[i])
		}
		if receipts != 1 || events != 1 || entries != 1 || deleted != 1 || captures != 0 {
			t.Errorf("wipe %d: %d receipts, %d events, %d audit entries, %d tombstones, %d captures left; want 1, 1, 1, 1, 0",
				i, receipts, events, entries, deleted, captures)
		}
	}
	after, err := postgres.NewAudit(f.db.DB).Verify(ctx, f.tenant)
	if err != nil {
		t.Fatal(err)
	}
	if after-before != len(sessions)-1 {
		t.Errorf("%d entries appended, want %d", after-before, len(sessions)-1)
	}
	// Two batches: the first wipe alone, then the five that queued behind
	// it. Each: BEGIN with its scope's two SET LOCALs (3), the sessions'
	// lock and read, the rows' write, the chain's lock, head and append,
	// COMMIT.
	assertBatches(t, count, nil, 2, 9)
}

func TestSessionForWipeIsTenantScoped(t *testing.T) {
	t.Parallel()
	f := setupWipes(t)
	if _, err := f.wipes.SessionForWipe(t.Context(), f.other, f.session); !errors.Is(err, idv.ErrNotFound) {
		t.Fatalf("another tenant's session: %v, want ErrNotFound", err)
	}
	target, err := f.wipes.SessionForWipe(t.Context(), f.tenant, f.session)
	if err != nil {
		t.Fatal(err)
	}
	if target.SessionID != f.session || target.TenantID != f.tenant || target.Status != "created" ||
		target.WipeRequestedAt != nil || target.WipeReason != "" || target.ReceiptID != uuid.Nil || target.Captures != f.captures {
		t.Fatalf("before any wipe: %+v", target)
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
