package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
)

// DSRs stores data-subject requests.
type DSRs struct{ db *sqlx.DB }

// NewDSRs returns the store over db.
func NewDSRs(db *sql.DB) *DSRs { return &DSRs{db: wrap(db)} }

// Record stores a request and, in the same transaction, the
// idv.dsr.received event that forwards it to the controller and its audit
// entry (actor from WithActor: the session's app token).
func (s *DSRs) Record(ctx context.Context, d idv.DSR, ev idv.Event) error {
	d.ReceivedAt = d.ReceivedAt.UTC().Truncate(time.Microsecond)
	return inOutboxTx(ctx, s.db, tenantScope(d.TenantID), func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO data_subject_requests (dsr_id, tenant_id, session_id, kind, received_at)
			VALUES ($1, $2, $3, $4, $5)`, d.ID, d.TenantID, d.SessionID, d.Kind, d.ReceivedAt); err != nil {
			return fmt.Errorf("dsr: record for %s: %w", d.SessionID, err)
		}
		if err := appendOutbox(ctx, tx, ev); err != nil {
			return err
		}
		return appendAudit(ctx, tx, idv.AuditEntry{TenantID: d.TenantID, At: d.ReceivedAt, Actor: idv.ActorOf(ctx, idv.ActorUnknown),
			Action: idv.AuditDSRReceived, SessionID: d.SessionID, Detail: map[string]string{"dsr_id": d.ID.String(), "kind": d.Kind}})
	})
}
