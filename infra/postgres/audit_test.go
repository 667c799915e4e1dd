package postgres_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgcount"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/schemas"
)

// auditBundle is one audit test's system: its own main database, the audit
// log over it, and two tenants.
type auditBundle struct {
	db    *sqlx.DB
	audit *postgres.Audit
	a, b  uuid.UUID
}

func setupAudit(t *testing.T) *auditBundle {
	t.Helper()
	db := pgtest.NewDB(t, schemas.MainMigrations())
	f := &wipeFixture{db: db}
	return &auditBundle{db: db, audit: postgres.NewAudit(db.DB), a: f.newTenant(t), b: f.newTenant(t)}
}

func (b *auditBundle) record(t *testing.T, tenant uuid.UUID, action string) {
	t.Helper()
	if err := b.audit.Record(t.Context(), idv.AuditEntry{TenantID: tenant, Actor: idv.ActorAPIKey("k1"),
		Action: action, SessionID: uuid.New(), Detail: map[string]string{"fields": "age_over_18,document_valid"}}); err != nil {
		t.Fatal(err)
	}
}

func (b *auditBundle) all(t *testing.T, tenant uuid.UUID) []idv.AuditEvent {
	t.Helper()
	evs, err := b.audit.List(t.Context(), tenant, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// tamper runs statements with the append-only trigger disabled, as a
// superuser who wants to rewrite history could.
func (b *auditBundle) tamper(t *testing.T, statements string) {
	t.Helper()
	if _, err := b.db.Exec(`BEGIN; ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only; ` +
		statements + `; ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only; COMMIT`); err != nil {
		t.Fatalf("tamper: %v", err)
	}
}

func (b *auditBundle) verifyBreaksAt(t *testing.T, tenant uuid.UUID, seq int64) {
	t.Helper()
	n, err := b.audit.Verify(t.Context(), tenant)
	var brk *idv.AuditBreak
	if !errors.As(err, &brk) || !errors.Is(err, idv.ErrAuditBroken) || brk.Seq != seq {
		t.Fatalf("Verify after tampering: %d entries, %v; want a break at seq %d", n, err, seq)
	}
}

func TestAuditChainsPerTenant(t *testing.T) {
	t.Parallel()
	b := setupAudit(t)
	for i := range 6 {
		b.record(t, []uuid.UUID{b.a, b.b}[i%2], idv.AuditPersonalDataRead)
	}
	for _, tenant := range []uuid.UUID{b.a, b.b} {
		evs := b.all(t, tenant)
		if len(evs) != 3 {
			t.Fatalf("tenant %s has %d entries, want 3", tenant, len(evs))
		}
		prev := make([]byte, sha256.Size)
		for _, ev := range evs {
			if ev.TenantID != tenant || !bytes.Equal(ev.PrevHash, prev) || len(ev.Hash) != sha256.Size {
				t.Fatalf("entry %d of %s: tenant %s, prev %x, want %x", ev.Seq, tenant, ev.TenantID, ev.PrevHash, prev)
			}
			prev = ev.Hash
		}
		if n, err := b.audit.Verify(t.Context(), tenant); err != nil || n != 3 {
			t.Fatalf("Verify %s: %d, %v", tenant, n, err)
		}
	}
	// Paging.
	first, _ := b.audit.List(t.Context(), b.a, 0, 2)
	rest, _ := b.audit.List(t.Context(), b.a, first[1].Seq, 2)
	if len(first) != 2 || len(rest) != 1 || rest[0].Seq <= first[1].Seq {
		t.Fatalf("pages: %d then %d", len(first), len(rest))
	}
	if n, err := b.audit.Verify(t.Context(), uuid.New()); err != nil || n != 0 {
		t.Fatalf("Verify of a tenant without entries: %d, %v", n, err)
	}
	// Entries that could carry free text are refused.
	for _, d := range []map[string]string{{"name": "Anna de Vries"}, {"Name": "x"}, {"note": "a@b"}} {
		if err := b.audit.Record(t.Context(), idv.AuditEntry{TenantID: b.a, Actor: "operator:cli",
			Action: idv.AuditRetentionChanged, Detail: d}); err == nil {
			t.Errorf("detail %v was accepted", d)
		}
	}
}

func TestAuditConcurrentAppendsKeepOneChain(t *testing.T) {
	t.Parallel()
	b := setupAudit(t)
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for range writers {
		wg.Go(func() {
			for range each {
				errs <- b.audit.Record(t.Context(), idv.AuditEntry{TenantID: b.a, Actor: idv.ActorWipe,
					Action: idv.AuditDataDeleted})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, err := b.audit.Verify(t.Context(), b.a); err != nil || n != writers*each {
		t.Fatalf("Verify after %d concurrent appends: %d, %v", writers*each, n, err)
	}
}

// Entries of one tenant recorded while one of its batches waits (here: on
// the chain's lock, held by the test) are appended together by the next
// batch, under one hold of the lock, in the same six statements whatever
// its size; the chain verifies entry by entry, and an entry that is not
// valid is refused before it joins a batch.
func TestAuditRecordsTogether(t *testing.T) {
	t.Parallel()
	f := setupWipes(t)
	ctx := t.Context()
	counted, count := countedPool(t, f.url, "main")
	audit := postgres.NewAudit(counted)
	entry := func() idv.AuditEntry {
		return idv.AuditEntry{TenantID: f.tenant, Actor: idv.ActorAPIKey("k1"), Action: idv.AuditPersonalDataRead,
			SessionID: uuid.New(), Detail: map[string]string{"fields": "age_over_18"}}
	}
	const n = 6

	hold := holdChainLock(t, f.db, f.tenant)
	bad := entry()
	bad.Detail = map[string]string{"name": "Anna de Vries"}
	errs := make([]error, n)
	queueBehind(t, hold, n, func(i int) { errs[i] = audit.Record(ctx, entry()) },
		func() bool { return f.count(t, advisoryWaiters) > 0 },
		func() int { return postgres.AuditsQueued(audit, f.tenant) },
		func() {
			// Refused at once, while a batch of the tenant waits.
			if err := audit.Record(ctx, bad); err == nil {
				t.Error("an entry with free text was accepted")
			}
		})
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if got, err := audit.Verify(ctx, f.tenant); err != nil || got != n {
		t.Fatalf("Verify: %d entries, %v; want %d", got, err, n)
	}
	// Two batches, each: BEGIN with its scope's two SET LOCALs (3), the
	// chain's lock, its head with the seqs, one INSERT, COMMIT.
	assertBatches(t, count, func(tx pgcount.Tx) bool {
		return slices.ContainsFunc(tx.Queries, func(q string) bool { return strings.HasPrefix(q, "INSERT INTO audit_events") })
	}, 2, 7)
}

func TestAuditIsAppendOnly(t *testing.T) {
	t.Parallel()
	b := setupAudit(t)
	b.record(t, b.a, idv.AuditPersonalDataRead)
	for _, q := range []string{`UPDATE audit_events SET actor = 'someone:else'`, `DELETE FROM audit_events`,
		`TRUNCATE audit_events`} {
		if _, err := b.db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", q, err)
		}
	}
	if n, err := b.audit.Verify(t.Context(), b.a); err != nil || n != 1 {
		t.Fatalf("Verify: %d, %v", n, err)
	}
}

func TestAuditVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// tamper changes the chain of b.a (entries evs, 5 of them) and
		// returns the seq at which Verify must report the break.
		tamper func(t *testing.T, b *auditBundle, evs []idv.AuditEvent) int64
	}{
		{"altered actor", func(t *testing.T, b *auditBundle, evs []idv.AuditEvent) int64 {
			b.tamper(t, fmt.Sprintf(`UPDATE audit_events SET actor = 'tenant_api_key:other' WHERE seq = %d`, evs[2].Seq))
			return evs[2].Seq
		}},
		{"altered detail", func(t *testing.T, b *auditBundle, evs []idv.AuditEvent) int64 {
			b.tamper(t, fmt.Sprintf(`UPDATE audit_events SET detail = '{"fields": "age_over_18"}' WHERE seq = %d`, evs[1].Seq))
			return evs[1].Seq
		}},
		{"altered time", func(t *testing.T, b *auditBundle, evs []idv.AuditEvent) int64 {
			b.tamper(t, fmt.Sprintf(`UPDATE audit_events SET at = at - interval '1 day' WHERE seq = %d`, evs[3].Seq))
			return evs[3].Seq
		}},
		{"removed entry", func(t *testing.T, b *auditBundle, evs []idv.AuditEvent) int64 {
			b.tamper(t, fmt.Sprintf(`DELETE FROM audit_events WHERE seq = %d`, evs[2].Seq))
			return evs[3].Seq
		}},
		{"removed first entry", func(t *testing.T, b *auditBundle, evs []idv.AuditEvent) int64 {
			b.tamper(t, fmt.Sprintf(`DELETE FROM audit_events WHERE seq = %d`, evs[0].Seq))
			return evs[1].Seq
		}},
		{"reordered entries", func(t *testing.T, b *auditBundle, evs []idv.AuditEvent) int64 {
			b.tamper(t, fmt.Sprintf(`UPDATE audit_events SET seq = -1 WHERE seq = %[1]d;
				UPDATE audit_events SET seq = %[1]d WHERE seq = %[2]d;
				UPDATE audit_events SET seq = %[2]d WHERE seq = -1`, evs[1].Seq, evs[3].Seq))
			return evs[1].Seq
		}},
		{"inserted entry", func(t *testing.T, b *auditBundle, evs []idv.AuditEvent) int64 {
			// A forged entry, in a gap of the sequence, that links to its
			// predecessor (the tamperer drops the index that refuses a
			// fork): without the canonical encoding its hash fails.
			b.tamper(t, fmt.Sprintf(`DROP INDEX audit_events_chain; INSERT INTO audit_events (seq, tenant_id, at, actor, action, detail, prev_hash, hash)
				SELECT seq + 1, tenant_id, at, actor, action, detail, hash, sha256(hash) FROM audit_events WHERE seq = %d`,
				evs[2].Seq))
			return evs[2].Seq + 1
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setupAudit(t)
			for range 5 {
				b.record(t, b.a, idv.AuditPersonalDataRead)
				// Leave a gap in the sequence after each of a's entries.
				if _, err := b.db.Exec(`SELECT nextval(pg_get_serial_sequence('audit_events', 'seq'))`); err != nil {
					t.Fatal(err)
				}
				b.record(t, b.b, idv.AuditPersonalDataRead)
			}
			evs := b.all(t, b.a)
			seq := tc.tamper(t, b, evs)
			b.verifyBreaksAt(t, b.a, seq)
			if n, err := b.audit.Verify(t.Context(), b.b); err != nil || n != 5 {
				t.Fatalf("the other tenant's chain: %d, %v", n, err)
			}
		})
	}
}

// TestStoreChangesAreAudited: erasure requests, declines, deletions and
// retention changes each append their entry in their own transaction, with
// the actor the caller names, and nothing but ids and codes.
func TestStoreChangesAreAudited(t *testing.T) {
	t.Parallel()
	r := setupRetention(t)
	ctx := t.Context()
	tenants, audit := postgres.NewTenants(r.db.DB), postgres.NewAudit(r.db.DB)
	erased, _ := r.newSession(t, r.tenant, r.now, 7)
	declined, _ := r.newSession(t, r.tenant, r.now, 7)
	asKey := idv.WithActor(ctx, idv.ActorAPIKey("key1"))
	for range 2 { // idempotent: one entry
		if err := idv.RequestWipe(asKey, r.sessions, r.tenant, erased, schemas.WipeCustomerRequest, r.now); err != nil {
			t.Fatal(err)
		}
	}
	if err := decline(ctx, r.sessions, r.tenant, declined, r.now); err != nil {
		t.Fatal(err)
	}
	if err := tenants.SetRetention(idv.WithActor(ctx, idv.ActorOperator), r.tenant, 3); err != nil {
		t.Fatal(err)
	}
	if err := tenants.SetRetention(ctx, uuid.New(), 3); !errors.Is(err, idv.ErrNotFound) {
		t.Fatalf("SetRetention of no tenant: %v", err)
	}
	wipes := postgres.NewWipes(r.db.DB)
	if _, _, err := wipes.DestroySessionKey(ctx, r.tenant, erased, r.now); err != nil {
		t.Fatal(err)
	}
	receipt := idv.Receipt{ID: uuid.New(), Statement: []byte(`{}`), Signature: randomBytes(64), KeyID: "k"}
	deleted := idv.Event{TenantID: r.tenant, MsgID: schemas.MsgID(schemas.TypeSessionDeleted, erased.String()),
		Type: schemas.TypeSessionDeleted, Subject: schemas.Subject(schemas.TypeSessionDeleted, erased.String()),
		Body: schemas.SessionDeleted{SessionID: erased.String(), TenantID: r.tenant.String(), ReceiptID: receipt.ID.String(),
			Reason: schemas.WipeCustomerRequest, DeletedAt: r.now}}
	if err := wipes.FinishWipe(ctx, r.tenant, erased, r.now, receipt, deleted); err != nil {
		t.Fatal(err)
	}
	// A redelivered wipe records nothing more.
	if err := wipes.FinishWipe(ctx, r.tenant, erased, r.now, receipt, deleted); !errors.Is(err, idv.ErrWipedBefore) {
		t.Fatalf("FinishWipe again: %v, want ErrWipedBefore", err)
	}

	evs, err := audit.List(ctx, r.tenant, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		sid := "-"
		if ev.SessionID != nil {
			sid = map[uuid.UUID]string{erased: "erased", declined: "declined"}[*ev.SessionID]
		}
		got = append(got, fmt.Sprintf("%s %s %s %v", ev.Action, ev.Actor, sid, ev.Detail))
	}
	want := []string{
		"erasure_requested tenant_api_key:key1 erased map[reason:customer_request]",
		"declined_by_user app_token:" + declined.String() + " declined map[decision:declined_by_user reason:declined_by_user]",
		"retention_changed operator:cli - map[from_days:7 to_days:3]",
		"data_deleted system:wipe erased map[captures:0 receipt_id:" + receipt.ID.String() + "]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n, err := audit.Verify(ctx, r.tenant); err != nil || n != len(want) {
		t.Fatalf("Verify: %d, %v", n, err)
	}
	assertNoPersonalData(t, evs)
}

// codeOrID is what a detail value may be: codes, numbers, uuids, hex key ids
// and comma-separated lists of codes.
var codeOrID = regexp.MustCompile(`^([a-z0-9_]+|[0-9a-f-]{36}|[0-9A-Za-z]+)(,[a-z0-9_]+)*$`)

func assertNoPersonalData(t *testing.T, evs []idv.AuditEvent) {
	t.Helper()
	for _, ev := range evs {
		for k, v := range ev.Detail {
			if !codeOrID.MatchString(v) {
				t.Errorf("entry %d detail %s=%q is not an id or code", ev.Seq, k, v)
			}
		}
		if !regexp.MustCompile(`^(tenant_api_key|app_token|system|operator):[0-9A-Za-z_-]+$`).MatchString(ev.Actor) {
			t.Errorf("entry %d actor %q", ev.Seq, ev.Actor)
		}
		if ev.At.IsZero() || time.Since(ev.At) > time.Hour {
			t.Errorf("entry %d at %v", ev.Seq, ev.At)
		}
	}
}

// Inside a change group an entry recorded on its own is not batched: it is
// the group's, committed or rolled back with it.
func TestAuditRecordInAChangeGroup(t *testing.T) {
	t.Parallel()
	f := setupWipes(t)
	ctx := t.Context()
	audit, groups := postgres.NewAudit(f.db.DB), postgres.NewReads(f.db.DB)
	entry := idv.AuditEntry{TenantID: f.tenant, Actor: idv.ActorAPIKey("k1"), Action: idv.AuditPersonalDataRead,
		SessionID: f.session, Detail: map[string]string{"fields": "age_over_18"}}
	undo := errors.New("undo")
	if err := groups.ChangeTogether(ctx, f.tenant, func(ctx context.Context) error {
		if err := audit.Record(ctx, entry); err != nil {
			return err
		}
		return undo
	}); !errors.Is(err, undo) {
		t.Fatalf("the group: %v, want its own error", err)
	}
	if n, err := audit.Verify(ctx, f.tenant); err != nil || n != 0 {
		t.Fatalf("after the group rolled back: %d entries, %v; want none", n, err)
	}
	if err := groups.ChangeTogether(ctx, f.tenant, func(ctx context.Context) error { return audit.Record(ctx, entry) }); err != nil {
		t.Fatal(err)
	}
	if n, err := audit.Verify(ctx, f.tenant); err != nil || n != 1 {
		t.Fatalf("after the group committed: %d entries, %v; want 1", n, err)
	}
}

// TestChangeGroupAppendsAuditLast: a store call inside a ChangeTogether
// group leaves its audit entries with the group, which appends them as its
// last step: while the group's later calls run, the tenant's chain lock is
// free for the tenant's other appends. The entries commit with the group
// and the chain verifies; a group that fails leaves none and changes
// nothing.
func TestChangeGroupAppendsAuditLast(t *testing.T) {
	t.Parallel()
	f := setupWipes(t)
	ctx := t.Context()
	sessions, groups, audit := postgres.NewSessions(f.db.DB), postgres.NewReads(f.db.DB), postgres.NewAudit(f.db.DB)
	chainLockFree := func() bool {
		t.Helper()
		tx, err := f.db.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		var free bool
		if err := tx.GetContext(ctx, &free, `SELECT pg_try_advisory_xact_lock($1, hashtext($2))`, 0x1d5_0002, f.tenant.String()); err != nil {
			t.Fatal(err)
		}
		return free
	}
	requestWipe := func(ctx context.Context, id uuid.UUID) error {
		return idv.RequestWipe(ctx, sessions, f.tenant, id, schemas.WipeCustomerRequest, f.now)
	}
	undo := errors.New("undo")
	other := f.newSession(t, f.tenant)
	if err := groups.ChangeTogether(ctx, f.tenant, func(ctx context.Context) error {
		if err := requestWipe(ctx, other); err != nil {
			return err
		}
		return undo
	}); !errors.Is(err, undo) {
		t.Fatalf("the failing group: %v, want its own error", err)
	}
	if n, err := audit.Verify(ctx, f.tenant); err != nil || n != 0 {
		t.Fatalf("after the group failed: %d entries, %v; want none", n, err)
	}
	if s, err := sessions.Get(ctx, f.tenant, other); err != nil || s.WipeRequestedAt != nil {
		t.Fatalf("after the group failed: %v, wipe requested at %v; want no request", err, s.WipeRequestedAt)
	}

	err := groups.ChangeTogether(ctx, f.tenant, func(ctx context.Context) error {
		if err := requestWipe(ctx, f.session); err != nil {
			return err
		}
		if !chainLockFree() {
			t.Error("the tenant's chain lock is held by the group after the erasure request: the group's later calls hold up the tenant's appends")
		}
		s, err := sessions.Get(ctx, f.tenant, f.session)
		if err == nil && s.WipeRequestedAt == nil {
			t.Error("the group does not see its own erasure request")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := audit.Verify(ctx, f.tenant); err != nil || n != 1 {
		t.Fatalf("after the group committed: %d entries, %v; want 1", n, err)
	}
}
