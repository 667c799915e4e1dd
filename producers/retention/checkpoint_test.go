package retention_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/producers/retention"
	"github.com/idv-oss/idv/schemas"
)

// record appends an audit entry for the tenant, as any audited change does.
func (b *bundle) record(t *testing.T, tenant uuid.UUID) {
	t.Helper()
	if err := postgres.NewAudit(b.db.DB).Record(t.Context(), idv.AuditEntry{TenantID: tenant, Actor: idv.ActorOperator,
		Action: idv.AuditRetentionChanged, Detail: map[string]string{"from_days": "7", "to_days": "5"}}); err != nil {
		t.Fatal(err)
	}
}

// checkpoints counts the tenant's stored periodic checkpoints.
func (b *bundle) checkpoints(t *testing.T, tenant uuid.UUID) int {
	t.Helper()
	return b.count(t, `SELECT count(*) FROM audit_checkpoints WHERE tenant_id = $1`, tenant)
}

// checkpointEvents counts the tenant's idv.audit.checkpoint events.
func (b *bundle) checkpointEvents(t *testing.T, tenant uuid.UUID) int {
	t.Helper()
	return b.count(t, `SELECT count(*) FROM outbox WHERE type = $1 AND tenant_id = $2`, schemas.TypeAuditCheckpoint, tenant)
}

// Periodic audit checkpoints: a round signs one for each tenant whose chain
// has grown since its last one (or that has entries and none), once the
// interval has passed since its last; none for a chain that did not move,
// none within the interval, none for a tenant being offboarded. Each is
// stored with its event, signed by the audit key over the chain's head.
func TestPeriodicAuditCheckpoints(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	audit := postgres.NewAudit(b.db.DB)
	moving, still, empty, leaving := b.tenant, b.newTenant(t), b.newTenant(t), b.newTenant(t)
	b.record(t, moving)
	b.record(t, still)
	b.record(t, leaving)
	if _, err := postgres.NewOffboardings(b.db.DB).Start(ctx, leaving, b.start); err != nil {
		t.Fatal(err)
	}
	const interval = 24 * time.Hour

	if rd := b.round(t); rd.Checkpoints != 2 {
		t.Fatalf("first round: %+v, want checkpoints for the two tenants with entries", rd)
	}
	for tenant, want := range map[uuid.UUID]int{moving: 1, still: 1, empty: 0, leaving: 0} {
		if n, e := b.checkpoints(t, tenant), b.checkpointEvents(t, tenant); n != want || e != want {
			t.Errorf("tenant %s: %d checkpoints, %d events; want %d", tenant, n, e, want)
		}
	}
	// What was stored is the audit key's signature over the head, purpose
	// periodic, and its event names it.
	keys, err := b.vault.VerifyKeys(ctx, vault.PurposeAudit)
	if err != nil {
		t.Fatal(err)
	}
	var row struct {
		ID        uuid.UUID `db:"checkpoint_id"`
		Seq       int64     `db:"seq"`
		Statement []byte    `db:"statement"`
		Signature []byte    `db:"signature"`
		KeyID     string    `db:"key_id"`
		CreatedAt time.Time `db:"created_at"`
	}
	if err := b.db.Get(&row, `SELECT checkpoint_id, seq, statement, signature, key_id, created_at FROM audit_checkpoints
		WHERE tenant_id = $1`, moving); err != nil {
		t.Fatal(err)
	}
	c, err := idv.OpenCheckpoint(keys, idv.SignedCheckpoint{Statement: row.Statement, Signature: row.Signature, KeyID: row.KeyID})
	if err != nil {
		t.Fatal(err)
	}
	head, err := audit.Head(ctx, moving)
	if err != nil {
		t.Fatal(err)
	}
	if c.TenantID != moving.String() || c.Purpose != schemas.CheckpointPeriodic || c.Seq != head.Seq || c.Seq != row.Seq ||
		!c.SignedAt.Equal(b.start) || !row.CreatedAt.Equal(b.start) {
		t.Fatalf("checkpoint %+v (row seq %d, created %s), head %d, round at %s", c, row.Seq, row.CreatedAt, head.Seq, b.start)
	}
	hash, found, err := audit.Entry(ctx, moving, c.Seq)
	if err != nil || idv.CheckAgainst(c, found, hash) != nil {
		t.Fatalf("the chain against its checkpoint: %v, %v", err, idv.CheckAgainst(c, found, hash))
	}
	var ev struct {
		Subject string `db:"subject"`
		Body    []byte `db:"body"`
	}
	if err := b.db.Get(&ev, `SELECT subject, body FROM outbox WHERE msg_id = $1`,
		schemas.MsgID(schemas.TypeAuditCheckpoint, row.ID.String())); err != nil {
		t.Fatal(err)
	}
	if ev.Subject != schemas.Subject(schemas.TypeAuditCheckpoint, moving.String()) {
		t.Errorf("event subject %s", ev.Subject)
	}
	if got, err := idv.DecodeEvent[schemas.AuditCheckpointStored](schemas.TypeAuditCheckpoint, "", ev.Subject, ev.Body); err != nil ||
		got.Body.CheckpointID != row.ID.String() || got.Body.Seq != row.Seq || got.TenantID != moving {
		t.Fatalf("event %s: %+v, %v", ev.Body, got, err)
	}

	// Within the interval nothing more, even after new entries; once it has
	// passed, a checkpoint for the chain that grew, none for the one that
	// did not.
	b.clock.Set(b.start.Add(time.Hour))
	b.record(t, moving)
	if rd := b.round(t); rd.Checkpoints != 0 {
		t.Fatalf("an hour later: %+v", rd)
	}
	b.clock.Set(b.start.Add(interval - time.Second))
	if rd := b.round(t); rd.Checkpoints != 0 {
		t.Fatalf("a second before the interval ends: %+v", rd)
	}
	b.clock.Set(b.start.Add(interval))
	if rd := b.round(t); rd.Checkpoints != 1 {
		t.Fatalf("once the interval passed: %+v, want one for the chain that grew", rd)
	}
	if rd := b.round(t); rd.Checkpoints != 0 {
		t.Fatalf("the round after: %+v", rd)
	}
	for tenant, want := range map[uuid.UUID]int{moving: 2, still: 1, empty: 0, leaving: 0} {
		if n, e := b.checkpoints(t, tenant), b.checkpointEvents(t, tenant); n != want || e != want {
			t.Errorf("tenant %s after the interval: %d checkpoints, %d events; want %d", tenant, n, e, want)
		}
	}
	var seqs []int64
	if err := b.db.Select(&seqs, `SELECT seq FROM audit_checkpoints WHERE tenant_id = $1 ORDER BY created_at`, moving); err != nil {
		t.Fatal(err)
	}
	if head, _ = audit.Head(ctx, moving); len(seqs) != 2 || seqs[0] >= seqs[1] || seqs[1] != head.Seq {
		t.Fatalf("checkpoints of the moving chain name entries %v, head %d", seqs, head.Seq)
	}
	if got := metric(t, b.reg, "idv_retention_audit_checkpoints_total"); got != 3 {
		t.Fatalf("idv_retention_audit_checkpoints_total = %v, want 3", got)
	}
	if got := metric(t, b.reg, "idv_retention_errors_total"); got != 0 {
		t.Fatalf("idv_retention_errors_total = %v", got)
	}
	if !strings.Contains(b.logs.String(), "retention: periodic audit checkpoints signed") {
		t.Fatalf("checkpoints not logged:\n%s", b.logs)
	}
}

// A checkpoint and its event commit together: with the outbox refusing the
// event (a trigger stands in for any failure after the row is written), the
// round fails, counts the error and leaves neither; the next round, the
// outbox working again, stores both.
func TestCheckpointAndEventCommitTogether(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.record(t, b.tenant)
	b.exec(t, `CREATE FUNCTION refuse_checkpoint_events() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'injected: outbox refuses %', NEW.type; END $$`)
	b.exec(t, `CREATE TRIGGER refuse_checkpoint_events BEFORE INSERT ON outbox FOR EACH ROW
		WHEN (NEW.type = 'idv.audit.checkpoint') EXECUTE FUNCTION refuse_checkpoint_events()`)
	rd, err := b.sweep.RunOnce(t.Context())
	if err == nil || !strings.Contains(err.Error(), "injected") || rd.Checkpoints != 0 {
		t.Fatalf("round with the outbox refusing: %+v, %v", rd, err)
	}
	if n, e := b.checkpoints(t, b.tenant), b.checkpointEvents(t, b.tenant); n != 0 || e != 0 {
		t.Fatalf("after the failed save: %d checkpoints, %d events; want neither", n, e)
	}
	if got := metric(t, b.reg, "idv_retention_errors_total"); got != 1 {
		t.Fatalf("idv_retention_errors_total = %v, want 1", got)
	}
	b.exec(t, `DROP TRIGGER refuse_checkpoint_events ON outbox`)
	if rd := b.round(t); rd.Checkpoints != 1 {
		t.Fatalf("round with the outbox working: %+v", rd)
	}
	if n, e := b.checkpoints(t, b.tenant), b.checkpointEvents(t, b.tenant); n != 1 || e != 1 {
		t.Fatalf("after the round: %d checkpoints, %d events; want one of each", n, e)
	}
}

// Replicas whose rounds run at once store one checkpoint per tenant.
func TestConcurrentRoundsCheckpointEachTenantOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tenants := []uuid.UUID{b.tenant}
	for range 9 {
		tenants = append(tenants, b.newTenant(t))
	}
	for _, tenant := range tenants {
		b.record(t, tenant)
	}
	sweepers := make([]*retention.Sweeper, 3)
	for i := range sweepers {
		sweepers[i], _, _ = b.newSweeper(retention.Config{})
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
	stored := 0
	for i := range sweepers {
		if errs[i] != nil {
			t.Fatalf("sweeper %d: %v", i, errs[i])
		}
		stored += rounds[i].Checkpoints
	}
	if stored != len(tenants) {
		t.Fatalf("%d checkpoints stored by the rounds, want %d", stored, len(tenants))
	}
	for _, tenant := range tenants {
		if n, e := b.checkpoints(t, tenant), b.checkpointEvents(t, tenant); n != 1 || e != 1 {
			t.Errorf("tenant %s: %d checkpoints, %d events; want one of each", tenant, n, e)
		}
	}
}
