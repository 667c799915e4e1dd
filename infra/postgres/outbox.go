package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// OutboxEvent is an event to publish once the transaction that caused it has
// committed (DESIGN invariant 7).
type OutboxEvent struct {
	TenantID uuid.UUID
	MsgID    string // Nats-Msg-Id; unique, so appending twice is a no-op
	Type     string
	Subject  string
	Body     any // marshalled to JSON; ids and codes only
}

// appendOutbox writes ev inside tx; the relay publishes it after commit.
func appendOutbox(ctx context.Context, tx *sqlx.Tx, ev OutboxEvent) error {
	body, err := json.Marshal(ev.Body)
	if err != nil {
		return fmt.Errorf("outbox: encode %s: %w", ev.Type, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (tenant_id, msg_id, type, subject, body)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (msg_id) DO NOTHING`,
		ev.TenantID, ev.MsgID, ev.Type, ev.Subject, body); err != nil {
		return fmt.Errorf("outbox: append %s: %w", ev.Type, err)
	}
	return nil
}
