package postgres_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/schemas"
)

// TestAuditCheckpointsDueAndSaved: a tenant is due once its chain has an
// entry its last checkpoint does not name and that checkpoint is older
// than the interval; a checkpoint is stored with its event or not at all;
// a second save of the same head (another replica) and a save after the
// offboarding started store nothing; the notifier reads a checkpoint in
// its tenant's scope only.
func TestAuditCheckpointsDueAndSaved(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := pgtest.NewDB(t, schemas.MainMigrations())
	f := &wipeFixture{db: db, now: time.Now().UTC().Truncate(time.Microsecond)}
	active, quiet := f.newTenant(t), f.newTenant(t)
	store, audit, notices := postgres.NewAuditCheckpoints(db.DB), postgres.NewAudit(db.DB), postgres.NewNotices(db.DB)
	record := func() int64 {
		t.Helper()
		if err := audit.Record(ctx, idv.AuditEntry{TenantID: active, Actor: idv.ActorOperator, Action: idv.AuditRetentionChanged}); err != nil {
			t.Fatal(err)
		}
		h, err := audit.Head(ctx, active)
		if err != nil {
			t.Fatal(err)
		}
		return h.Seq
	}
	due := func(signedBefore time.Time) []uuid.UUID {
		t.Helper()
		got, err := store.DueCheckpoints(ctx, signedBefore, 10)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	rows := func() (checkpoints, events int) {
		t.Helper()
		if err := db.Get(&checkpoints, `SELECT count(*) FROM audit_checkpoints`); err != nil {
			t.Fatal(err)
		}
		if err := db.Get(&events, `SELECT count(*) FROM outbox WHERE type = $1`, schemas.TypeAuditCheckpoint); err != nil {
			t.Fatal(err)
		}
		return checkpoints, events
	}
	checkpoint := func(seq int64, at time.Time) idv.StoredCheckpoint {
		return idv.StoredCheckpoint{ID: uuid.New(), TenantID: active, Seq: seq, CreatedAt: at,
			SignedCheckpoint: idv.SignedCheckpoint{Statement: []byte(`{"seq":1}`), Signature: randomBytes(64), KeyID: "k1"}}
	}
	const interval = 24 * time.Hour
	now := f.now

	if got := due(now.Add(-interval)); len(got) != 0 {
		t.Fatalf("due with empty chains: %v", got)
	}
	seq := record()
	if got := due(now.Add(-interval)); len(got) != 1 || got[0] != active {
		t.Fatalf("due: %v, want only the tenant with entries %s", got, active)
	}

	// A failure between the row and its event leaves neither: here the
	// event cannot be encoded, after the row was inserted.
	c := checkpoint(seq, now)
	broken := idv.AuditCheckpointEvent(c)
	broken.Body = func() {}
	if saved, err := store.SaveCheckpoint(ctx, c, now.Add(-interval), broken); err == nil || saved {
		t.Fatalf("save with an event that cannot be appended: %v, %v", saved, err)
	}
	if n, e := rows(); n != 0 || e != 0 {
		t.Fatalf("after the failed save: %d checkpoints, %d events; want neither", n, e)
	}
	if saved, err := store.SaveCheckpoint(ctx, c, now.Add(-interval), idv.AuditCheckpointEvent(c)); err != nil || !saved {
		t.Fatalf("save: %v, %v", saved, err)
	}
	if n, e := rows(); n != 1 || e != 1 {
		t.Fatalf("after the save: %d checkpoints, %d events; want one of each", n, e)
	}
	// Another replica signed the same head in the same round: not stored.
	again := checkpoint(seq, now)
	if saved, err := store.SaveCheckpoint(ctx, again, now.Add(-interval), idv.AuditCheckpointEvent(again)); err != nil || saved {
		t.Fatalf("second save of the head: %v, %v", saved, err)
	}
	if got := due(now.Add(-interval)); len(got) != 0 {
		t.Fatalf("due right after its checkpoint: %v", got)
	}
	// The interval passes without a new entry: not due. A new entry, and
	// it is due once the interval has passed, not before.
	if got := due(now.Add(interval)); len(got) != 0 {
		t.Fatalf("due without a new entry: %v", got)
	}
	seq = record()
	if got := due(now.Add(-time.Second)); len(got) != 0 {
		t.Fatalf("due within the interval: %v", got)
	}
	if got := due(now); len(got) != 1 {
		t.Fatalf("due once the interval passed: %v", got)
	}

	// The notifier reads the checkpoint as stored, in its tenant's scope.
	got, err := notices.Checkpoint(ctx, active, c.ID)
	if err != nil || got.ID != c.ID || got.TenantID != active || got.Seq != c.Seq || string(got.Statement) != string(c.Statement) ||
		string(got.Signature) != string(c.Signature) || got.KeyID != c.KeyID || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Fatalf("Checkpoint: %+v, %v; want %+v", got, err, c)
	}
	if _, err := notices.Checkpoint(ctx, quiet, c.ID); !errors.Is(err, idv.ErrNotFound) {
		t.Fatalf("another tenant's checkpoint: %v, want ErrNotFound", err)
	}

	// Offboarding started: never due, and a save signed just before the
	// offboarding started stores nothing.
	if _, err := postgres.NewOffboardings(db.DB).Start(ctx, active, now); err != nil {
		t.Fatal(err)
	}
	if got := due(now.Add(interval)); len(got) != 0 {
		t.Fatalf("due while offboarding: %v", got)
	}
	late := checkpoint(seq, now.Add(interval))
	if saved, err := store.SaveCheckpoint(ctx, late, now, idv.AuditCheckpointEvent(late)); err != nil || saved {
		t.Fatalf("save while offboarding: %v, %v", saved, err)
	}
	if n, e := rows(); n != 1 || e != 1 {
		t.Fatalf("at the end: %d checkpoints, %d events; want one of each", n, e)
	}
}
