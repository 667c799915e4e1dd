package tenant

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// RetentionStore is what lowering a retention changes.
type RetentionStore interface {
	SetRetention(ctx context.Context, id uuid.UUID, days int) error
}

// SessionShortener finds and shortens existing sessions.
type SessionShortener interface {
	LongerThan(ctx context.Context, tenantID uuid.UUID, days int) ([]idv.WrappedKey, []idv.Session, error)
	Shorten(ctx context.Context, key idv.WrappedKey, days int, expiresAt time.Time) (bool, error)
}

// Rewrapper re-wraps a session key under an earlier epoch.
type Rewrapper interface {
	Rewrap(ctx context.Context, k idv.WrappedKey, newExpiresAt time.Time) (idv.WrappedKey, error)
}

// SetRetention changes a tenant's retention. Lowering it applies to the
// sessions it already has: each gets the earlier expires_at and its key is
// re-wrapped under the earlier hour's epoch key, so that hour's key
// destruction covers it. It returns how many sessions were shortened.
//
// The tenant's value moves first, so that no session is created on the
// old retention meanwhile; each session then moves on its own. A failure
// part-way returns an error and leaves the rest on the longer retention;
// calling SetRetention again with the same days (a retry) shortens them —
// the tenant's value is then unchanged and no second audit entry is made.
func SetRetention(ctx context.Context, tenants RetentionStore, sessions SessionShortener, keys Rewrapper,
	tenantID uuid.UUID, days int) (int, error) {
	if err := schemas.ValidateRetentionDays(days); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := tenants.SetRetention(ctx, tenantID, days); err != nil {
		return 0, fmt.Errorf("tenant: %w", err)
	}
	wrapped, rows, err := sessions.LongerThan(ctx, tenantID, days)
	if err != nil {
		return 0, fmt.Errorf("tenant: %w", err)
	}
	shortened := 0
	for i, k := range wrapped {
		expires := schemas.ExpiresAt(rows[i].CreatedAt, days)
		nk, err := keys.Rewrap(ctx, k, expires)
		if errors.Is(err, idv.ErrEpochDestroyed) {
			// The earlier hour is past and its key already gone: the session
			// is due now and the retention scan claims it; keep its key
			// where it is until the wipe destroys it.
			nk = k
		} else if err != nil {
			return shortened, fmt.Errorf("tenant: re-wrap session %s: %w", k.SessionID, err)
		}
		k.Epoch, k.Wrapped = nk.Epoch, nk.Wrapped
		changed, err := sessions.Shorten(ctx, k, days, expires)
		if err != nil {
			return shortened, fmt.Errorf("tenant: %w", err)
		}
		if changed {
			shortened++
		}
	}
	return shortened, nil
}
