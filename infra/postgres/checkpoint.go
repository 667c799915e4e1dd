package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
)

// AuditCheckpoints stores the periodic audit checkpoints (migration 026):
// the retention sweep's signed heads of tenants' audit chains, which the
// notifier sends as the audit.checkpoint webhook.
type AuditCheckpoints struct{ db *sqlx.DB }

// NewAuditCheckpoints returns the periodic checkpoints' store over db.
func NewAuditCheckpoints(db *sql.DB) *AuditCheckpoints { return &AuditCheckpoints{db: wrap(db)} }

// DueCheckpoints lists up to limit tenants not offboarding whose newest
// audit entry is after the one their last periodic checkpoint names and
// whose last periodic checkpoint was signed at or before signedBefore, or
// who have entries and no checkpoint; those waiting longest first. It looks
// across tenants, so in the system scope.
func (s *AuditCheckpoints) DueCheckpoints(ctx context.Context, signedBefore time.Time, limit int) ([]uuid.UUID, error) {
	var due []uuid.UUID
	if err := scopedSelect(ctx, s.db, systemScope, &due, `SELECT t.tenant_id FROM tenants t
		CROSS JOIN LATERAL (SELECT max(seq) AS seq FROM audit_events a WHERE a.tenant_id = t.tenant_id) head
		LEFT JOIN LATERAL (SELECT seq, created_at FROM audit_checkpoints c WHERE c.tenant_id = t.tenant_id
			ORDER BY created_at DESC LIMIT 1) last ON true
		WHERE t.offboarding_at IS NULL AND head.seq > coalesce(last.seq, 0)
			AND (last.created_at IS NULL OR last.created_at <= $1)
		ORDER BY last.created_at NULLS FIRST, t.tenant_id LIMIT $2`, signedBefore, limit); err != nil {
		return nil, fmt.Errorf("audit checkpoints: due: %w", err)
	}
	return due, nil
}

// SaveCheckpoint stores c and appends ev in one transaction in c's
// tenant's scope, and says true. The tenant's row is locked first, as
// Offboardings.Start locks it, so a checkpoint is either stored before an
// offboarding starts or not at all, and replicas signing at once store one:
// nothing is stored (false) when the tenant is offboarding by then, or
// already has a periodic checkpoint signed after signedBefore or naming
// entry c.Seq or a later one. ErrNotFound if there is no such tenant.
func (s *AuditCheckpoints) SaveCheckpoint(ctx context.Context, c idv.StoredCheckpoint, signedBefore time.Time, ev idv.Event) (bool, error) {
	var saved bool
	err := inOutboxTx(ctx, s.db, tenantScope(c.TenantID), func(tx *sqlx.Tx) error {
		var offboarding *time.Time
		err := tx.GetContext(ctx, &offboarding, `SELECT offboarding_at FROM tenants WHERE tenant_id = $1 FOR NO KEY UPDATE`, c.TenantID)
		if err != nil {
			return rowErr(err, "audit checkpoints: tenant %s", "audit checkpoints: lock tenant %s", c.TenantID)
		}
		if offboarding != nil {
			return nil
		}
		var taken bool
		if err := tx.GetContext(ctx, &taken, `SELECT EXISTS (SELECT 1 FROM audit_checkpoints
			WHERE tenant_id = $1 AND (created_at > $2 OR seq >= $3))`, c.TenantID, signedBefore, c.Seq); err != nil {
			return fmt.Errorf("audit checkpoints: last of %s: %w", c.TenantID, err)
		}
		if taken {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_checkpoints (checkpoint_id, tenant_id, seq, statement,
			signature, key_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.ID, c.TenantID, c.Seq, c.Statement, c.Signature, c.KeyID, c.CreatedAt); err != nil {
			return fmt.Errorf("audit checkpoints: store %s of %s: %w", c.ID, c.TenantID, err)
		}
		if err := appendOutbox(ctx, tx, ev); err != nil {
			return err
		}
		saved = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return saved, nil
}
