package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
)

// CreateHandoff stores a new hand-off code of an open session; the
// session's codes not yet redeemed stop working, so one code at most is
// live. ErrConflict if the session no longer takes captures.
func (s *Sessions) CreateHandoff(ctx context.Context, h idv.Handoff) error {
	return inTx(ctx, s.db, tenantScope(h.TenantID), func(tx *sqlx.Tx) error {
		if _, err := lockOpen(ctx, tx, h.TenantID, h.SessionID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM handoffs WHERE session_id = $1 AND tenant_id = $2 AND redeemed_at IS NULL`,
			h.SessionID, h.TenantID); err != nil {
			return fmt.Errorf("handoffs: retire codes of %s: %w", h.SessionID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO handoffs (code_hash, session_id, tenant_id, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5)`, h.CodeHash, h.SessionID, h.TenantID, h.CreatedAt, h.ExpiresAt); err != nil {
			return fmt.Errorf("handoffs: insert for %s: %w", h.SessionID, err)
		}
		return nil
	})
}

// RedeemHandoff spends the code whose hash is codeHash, if it is unspent
// and not expired at at, recording tokenHash as the app token it gave, and
// returns the session's ids. ErrNotFound otherwise: an unknown, spent and
// expired code are told apart to nobody. The code tells whose session it
// is, so the lookup is in system scope.
func (s *Sessions) RedeemHandoff(ctx context.Context, codeHash, tokenHash []byte, at time.Time) (tenantID, sessionID uuid.UUID, err error) {
	var row struct {
		TenantID  uuid.UUID `db:"tenant_id"`
		SessionID uuid.UUID `db:"session_id"`
	}
	err = inTx(ctx, s.db, systemScope, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &row, `UPDATE handoffs SET redeemed_at = $3, app_token_hash = $2
			WHERE code_hash = $1 AND redeemed_at IS NULL AND expires_at > $3
			RETURNING tenant_id, session_id`, codeHash, tokenHash, at)
	})
	if err != nil {
		return uuid.Nil, uuid.Nil, rowErr(err, "handoffs: %s", "handoffs: redeem %s", "code")
	}
	return row.TenantID, row.SessionID, nil
}

// HandoffToken reports whether tokenHash is the app token a redeemed code
// of the session gave. The app token tells whose session it is: system
// scope, as GetForApp.
func (s *Sessions) HandoffToken(ctx context.Context, sessionID uuid.UUID, tokenHash []byte) (bool, error) {
	var ok bool
	err := scopedGet(ctx, s.db, systemScope, &ok, `SELECT EXISTS (SELECT 1 FROM handoffs
		WHERE session_id = $1 AND app_token_hash = $2)`, sessionID, tokenHash)
	if err != nil {
		return false, fmt.Errorf("handoffs: look up token of %s: %w", sessionID, err)
	}
	return ok, nil
}

// HandedOff reports whether a code of the session was redeemed: the
// session continues on another device.
func (s *Sessions) HandedOff(ctx context.Context, tenantID, sessionID uuid.UUID) (bool, error) {
	var ok bool
	err := scopedGet(ctx, s.db, tenantScope(tenantID), &ok, `SELECT EXISTS (SELECT 1 FROM handoffs
		WHERE session_id = $1 AND tenant_id = $2 AND redeemed_at IS NOT NULL)`, sessionID, tenantID)
	if err != nil {
		return false, fmt.Errorf("handoffs: look up %s: %w", sessionID, err)
	}
	return ok, nil
}
