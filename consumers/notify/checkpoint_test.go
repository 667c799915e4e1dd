package notify_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/notify"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/schemas"
)

// checkpoints appends an audit entry for each tenant named and signs, at
// at, the periodic checkpoints that are then due, as the retention sweep
// does (idv.PeriodicCheckpoints with the vault's audit key). It returns
// each named tenant's idv.audit.checkpoint event, as the outbox holds it.
func (b *bundle) checkpoints(t *testing.T, at time.Time, tenants ...uuid.UUID) map[uuid.UUID]stage.Event {
	t.Helper()
	ctx := t.Context()
	audit := postgres.NewAudit(b.db.DB)
	for _, tenantID := range tenants {
		if err := audit.Record(ctx, idv.AuditEntry{TenantID: tenantID, Actor: idv.ActorOperator, Action: idv.AuditRetentionChanged,
			Detail: map[string]string{"from_days": "7", "to_days": "5"}}); err != nil {
			t.Fatal(err)
		}
	}
	p := idv.PeriodicCheckpoints{Store: postgres.NewAuditCheckpoints(b.db.DB), Heads: audit,
		Sign: func(ctx context.Context, m []byte) ([]byte, string, error) {
			return b.vault.Sign(ctx, vault.PurposeAudit, m)
		}, Interval: time.Hour, BatchSize: 100}
	if _, errs := p.Run(ctx, at); len(errs) > 0 {
		t.Fatal(errs)
	}
	out := map[uuid.UUID]stage.Event{}
	for _, tenantID := range tenants {
		var id uuid.UUID
		if err := b.db.Get(&id, `SELECT checkpoint_id FROM audit_checkpoints WHERE tenant_id = $1
			ORDER BY created_at DESC LIMIT 1`, tenantID); err != nil {
			t.Fatalf("checkpoint of %s: %v", tenantID, err)
		}
		out[tenantID] = b.outboxEvent(t, schemas.MsgID(schemas.TypeAuditCheckpoint, id.String()))
	}
	return out
}

// checkpointID is the checkpoint an idv.audit.checkpoint event names.
func checkpointID(t *testing.T, ev stage.Event) uuid.UUID {
	t.Helper()
	var body schemas.AuditCheckpointStored
	if err := json.Unmarshal(ev.Data, &body); err != nil {
		t.Fatal(err)
	}
	return uuid.MustParse(body.CheckpointID)
}

// storedCheckpointPayload is the audit.checkpoint webhook of a stored
// checkpoint, built from its row as a receiver would expect it: the bytes
// signed, the signature and the key id, the time of signing.
func (b *bundle) storedCheckpointPayload(t *testing.T, id uuid.UUID) []byte {
	t.Helper()
	var row struct {
		TenantID  uuid.UUID `db:"tenant_id"`
		Statement []byte    `db:"statement"`
		Signature []byte    `db:"signature"`
		KeyID     string    `db:"key_id"`
		CreatedAt time.Time `db:"created_at"`
	}
	if err := b.db.Get(&row, `SELECT tenant_id, statement, signature, key_id, created_at FROM audit_checkpoints
		WHERE checkpoint_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(schemas.WebhookPayload{Type: schemas.WebhookAuditCheckpoint, Timestamp: row.CreatedAt.UTC(),
		Data: schemas.WebhookData{TenantID: row.TenantID.String(), Href: apiBase + "/v1/audit-events",
			Checkpoint: &schemas.WebhookCheckpoint{Statement: row.Statement, Signature: row.Signature, KeyID: row.KeyID}}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wantPayload is the webhook an event IDV wrote must become: for an audit
// checkpoint the stored row's, for the others the one the notifier built
// from the event's body (payloadFromBody).
func (b *bundle) wantPayload(t *testing.T, ev stage.Event) []byte {
	t.Helper()
	if ev.Type == schemas.TypeAuditCheckpoint {
		return b.storedCheckpointPayload(t, checkpointID(t, ev))
	}
	return payloadFromBody(t, ev)
}

// checkContract checks a webhook body against schemas/openapi.yaml's
// WebhookPayload.
func checkContract(t *testing.T, name string, body []byte) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(schemas.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	if err := doc.Components.Schemas["WebhookPayload"].Value.VisitJSON(v); err != nil {
		t.Errorf("%s: the webhook does not match openapi.yaml's WebhookPayload: %v\n%s", name, err, body)
	}
}

// The audit.checkpoint webhook is the checkpoint the retention sweep
// stored: its exact signed bytes, signature and key id, which verify with
// the audit key IDV lists and name the head of the tenant's chain; sent
// once under the webhook-id of its event.
func TestCheckpointWebhookIsTheStoredCheckpoint(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	recv := newReceiver(t, always(http.StatusNoContent))
	tenantID, secret := b.tenant(t, recv.URL)
	recv.setSecret(secret)
	n := b.notifier(notify.Config{AllowPrivate: true})
	at := decidedAt.Add(123456 * time.Microsecond)
	ev := b.checkpoints(t, at, tenantID)[tenantID]

	if err := n.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	got := recv.deliveries()
	if len(got) != 1 {
		t.Fatalf("%d POSTs, want 1", len(got))
	}
	d := got[0]
	if d.verifyErr != nil {
		t.Fatalf("does not verify: %v", d.verifyErr)
	}
	if id := d.header.Get(schemas.HeaderWebhookID); id != notify.WebhookID(ev.MsgID) {
		t.Errorf("webhook-id %s, want the event's %s", id, notify.WebhookID(ev.MsgID))
	}
	if want := b.storedCheckpointPayload(t, checkpointID(t, ev)); string(d.body) != string(want) {
		t.Fatalf("payload\n%s\nwant the stored checkpoint's\n%s", d.body, want)
	}
	checkContract(t, "audit.checkpoint", d.body)

	// What the tenant received verifies with the listed audit key and
	// names its chain's head, which the chain holds.
	var p schemas.WebhookPayload
	if err := json.Unmarshal(d.body, &p); err != nil || p.Data.Checkpoint == nil {
		t.Fatalf("payload %s: %v", d.body, err)
	}
	keys, err := b.vault.VerifyKeys(ctx, vault.PurposeAudit)
	if err != nil {
		t.Fatal(err)
	}
	c, err := idv.OpenCheckpoint(keys, idv.SignedCheckpoint(*p.Data.Checkpoint))
	if err != nil {
		t.Fatal(err)
	}
	audit := postgres.NewAudit(b.db.DB)
	head, err := audit.Head(ctx, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	if c.TenantID != tenantID.String() || c.Purpose != schemas.CheckpointPeriodic || c.Seq != head.Seq ||
		!c.SignedAt.Equal(at) || !p.Timestamp.Equal(at) || p.Data.SessionID != "" || p.Data.TenantID != tenantID.String() {
		t.Fatalf("checkpoint %+v in %+v; head %d", c, p, head.Seq)
	}
	hash, found, err := audit.Entry(ctx, tenantID, c.Seq)
	if err != nil || idv.CheckAgainst(c, found, hash) != nil {
		t.Fatalf("the chain against the webhook's checkpoint: %v, %v", err, idv.CheckAgainst(c, found, hash))
	}
	// A signature by another key does not pass for the audit key's.
	receiptKeys, err := b.vault.VerifyKeys(ctx, vault.PurposeReceipt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := idv.OpenCheckpoint(receiptKeys, idv.SignedCheckpoint(*p.Data.Checkpoint)); err == nil {
		t.Error("the checkpoint verifies with the receipt keys")
	}

	// Delivered and recorded once: the event again sends nothing.
	if err := n.Handle(ctx, ev); err != nil || len(recv.deliveries()) != 1 {
		t.Fatalf("the event again: %v, %d POSTs", err, len(recv.deliveries()))
	}
	var records int
	if err := b.db.Get(&records, `SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1 AND event_type = $2
		AND outcome = 'delivered' AND session_id IS NULL`, notify.WebhookID(ev.MsgID), schemas.WebhookAuditCheckpoint); err != nil || records != 1 {
		t.Fatalf("%d delivery records (%v), want 1", records, err)
	}
	if c := b.counts(t); c["delivered"] != 1 || c["skipped"] != 1 {
		t.Errorf("counts %v", c)
	}
}
