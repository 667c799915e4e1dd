package notify

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/schemas"
)

// The audit.checkpoint webhook hands the tenant a periodic signed head of
// its audit chain (docs/processor-duties.md, "Audit log"). Like every
// webhook it is read from the database: the event names a checkpoint, and
// what is sent are the bytes the retention sweep signed and stored, which
// the tenant verifies with IDV's audit key (GET /v1/signing-keys). It
// carries ids, a hash and times, no personal data, so the policy's payload
// mode does not apply.

// pointAtCheckpoint reads an idv.audit.checkpoint event: the tenant (its
// subject's id) and the checkpoint.
func pointAtCheckpoint(ev stage.Event) (pointer, error) {
	got, err := idv.DecodeEvent[struct {
		CheckpointID string `json:"checkpoint_id"`
	}](schemas.TypeAuditCheckpoint, ev.Type, ev.Subject, ev.Data)
	if err != nil {
		return pointer{}, err
	}
	id, err := uuid.Parse(got.Body.CheckpointID)
	if err != nil {
		return pointer{}, fmt.Errorf("%w: %s: checkpoint_id is not a UUID", ErrMalformedEvent, ev.Subject)
	}
	return pointer{eventType: schemas.TypeAuditCheckpoint, tenant: got.TenantID, ref: id,
		msgID: schemas.MsgID(schemas.TypeAuditCheckpoint, id.String())}, nil
}

// readCheckpoint reads the tenant's checkpoint as stored: its webhook
// carries the exact signed bytes, the signature and the key id, and points
// at the chain it anchors (GET /v1/audit-events).
func (n *Stage) readCheckpoint(ctx context.Context, p pointer) (webhook, error) {
	c, err := n.records.Checkpoint(ctx, p.tenant, p.ref)
	if err != nil {
		return webhook{}, found(err)
	}
	return newWebhook(schemas.WebhookAuditCheckpoint, c.CreatedAt, p.tenant, uuid.Nil,
		schemas.WebhookData{Href: "/v1/audit-events",
			Checkpoint: &schemas.WebhookCheckpoint{Statement: c.Statement, Signature: c.Signature, KeyID: c.KeyID}}), nil
}
