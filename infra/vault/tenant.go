package vault

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv"
)

// LiveEpochs counts the tenant's epoch keys not yet destroyed: how many
// DestroyTenant will destroy.
func (v *Vault) LiveEpochs(ctx context.Context, tenantID uuid.UUID) (int, error) {
	var n int
	if err := v.keystore.GetContext(ctx, &n, `SELECT count(*) FROM epoch_keys
		WHERE tenant_id = $1 AND destroyed_at IS NULL`, tenantID); err != nil {
		return 0, fmt.Errorf("vault: count epochs of %s: %w", tenantID, err)
	}
	return n, nil
}

// DestroyTenant destroys every epoch key of the tenant, whatever its hour,
// in one transaction, and marks every hour from now through until destroyed
// as well, so that no epoch key of the tenant can be created again before
// then (a session created late would fail with ErrEpochDestroyed). Give
// until at least the retention cap ahead: no session expires later. Every
// wrapped session key of the tenant, in the live database or in any copy of
// it, becomes unopenable. It returns how many keys this call destroyed (0 on
// a second call) and is idempotent.
func (v *Vault) DestroyTenant(ctx context.Context, tenantID uuid.UUID, until time.Time) (int, error) {
	tx, err := v.keystore.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("vault: destroy tenant %s: %w", tenantID, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE epoch_keys SET sealed_key = NULL, destroyed_at = now()
		WHERE tenant_id = $1 AND destroyed_at IS NULL`, tenantID)
	if err != nil {
		return 0, fmt.Errorf("vault: destroy epochs of %s: %w", tenantID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("vault: destroy epochs of %s: %w", tenantID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO epoch_keys (tenant_id, epoch, sealed_key, destroyed_at)
		SELECT $1, h, NULL, now() FROM generate_series($2::timestamptz, $3::timestamptz, interval '1 hour') AS h
		ON CONFLICT (tenant_id, epoch) DO NOTHING`,
		tenantID, idv.EpochOf(time.Now()), idv.EpochOf(until)); err != nil {
		return 0, fmt.Errorf("vault: bar new epochs of %s: %w", tenantID, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("vault: destroy tenant %s: commit: %w", tenantID, err)
	}
	return int(n), nil
}
