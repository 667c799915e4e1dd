package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv"
	"github.com/jmoiron/sqlx"
)

// LongerThan lists a tenant's sessions, not yet being wiped, kept longer
// than days, with their keys: what a lowered retention must shorten.
func (s *Sessions) LongerThan(ctx context.Context, tenantID uuid.UUID, days int) ([]idv.SessionKey, []idv.Session, error) {
	var rows []sessionRow
	if err := scopedSelect(ctx, s.db, tenantScope(tenantID), &rows, `SELECT `+sessionColumns+` FROM sessions
		WHERE tenant_id = $1 AND retention_days > $2 AND wipe_requested_at IS NULL ORDER BY created_at`, tenantID, days); err != nil {
		return nil, nil, fmt.Errorf("sessions: longer than %d days for %s: %w", days, tenantID, err)
	}
	sessions := sessionRows(rows)
	keys := make([]idv.SessionKey, 0, len(sessions))
	for _, sess := range sessions {
		k, err := s.Key(ctx, tenantID, sess.ID)
		if err != nil {
			return nil, nil, err
		}
		keys = append(keys, k)
	}
	return keys, sessions, nil
}

// Shorten gives a session a shorter retention: its expires_at and its key,
// re-wrapped under the earlier epoch, change in one transaction. A session
// whose wipe began meanwhile is left alone (false).
func (s *Sessions) Shorten(ctx context.Context, key idv.SessionKey, days int, expiresAt time.Time) (bool, error) {
	var changed bool
	err := inTx(ctx, s.db, tenantScope(key.TenantID), func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET retention_days = $3, expires_at = $4
			WHERE session_id = $1 AND tenant_id = $2 AND retention_days > $3 AND wipe_requested_at IS NULL`,
			key.SessionID, key.TenantID, days, expiresAt)
		if err != nil {
			return fmt.Errorf("sessions: shorten %s: %w", key.SessionID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE session_keys SET epoch = $3, wrapped_key = $4
			WHERE session_id = $1 AND tenant_id = $2`, key.SessionID, key.TenantID, key.Epoch, key.WrappedKey); err != nil {
			return fmt.Errorf("sessions: re-wrap key of %s: %w", key.SessionID, err)
		}
		changed = true
		return nil
	})
	return changed, err
}
