package vault

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv"
)

// epochKeyInfo is the HKDF info of the master subkey that encrypts epoch
// keys in the key store.
const epochKeyInfo = "idv/v1 keystore epoch-key"

// epochKeyAD binds a stored epoch key to its tenant and hour, so a row copied
// to another tenant or hour does not open.
func epochKeyAD(tenantID uuid.UUID, epoch time.Time) []byte {
	return fmt.Appendf(nil, "idv/v1 epoch-key %s %s", tenantID, epoch.Format(time.RFC3339))
}

// epochKey returns the epoch key of (tenant, epoch), creating it if create is
// set and it does not exist yet. Concurrent creators race on the primary key
// and all read back the one row that won. A destroyed epoch yields
// ErrEpochDestroyed whether or not create is set: its row stays, key nulled,
// precisely so that the hour is never created again.
func (v *Vault) epochKey(ctx context.Context, tenantID uuid.UUID, epoch time.Time, create bool) ([]byte, error) {
	sealed, err := v.readEpochKey(ctx, tenantID, epoch)
	if errors.Is(err, sql.ErrNoRows) && create {
		if err := v.insertEpochKey(ctx, tenantID, epoch); err != nil {
			return nil, err
		}
		sealed, err = v.readEpochKey(ctx, tenantID, epoch)
	}
	if errors.Is(err, sql.ErrNoRows) {
		// Never created, or the key store was lost: either way it is gone.
		return nil, fmt.Errorf("epoch %s: %w: no key in the key store", epoch.Format(time.RFC3339), ErrEpochDestroyed)
	}
	if err != nil {
		return nil, err
	}
	key, _, ok, err := v.openRing(epochKeyInfo, sealed, epochKeyAD(tenantID, epoch))
	if err != nil {
		return nil, fmt.Errorf("epoch %s: %w", epoch.Format(time.RFC3339), err)
	}
	if !ok {
		return nil, fmt.Errorf("epoch %s: %w (configured master key ids: %s)",
			epoch.Format(time.RFC3339), ErrWrongMasterKey, v.ringIDs())
	}
	return key, nil
}

// readEpochKey returns the sealed epoch key, sql.ErrNoRows if there is no
// row, or ErrEpochDestroyed if the row is marked destroyed.
func (v *Vault) readEpochKey(ctx context.Context, tenantID uuid.UUID, epoch time.Time) ([]byte, error) {
	var row struct {
		SealedKey   []byte       `db:"sealed_key"`
		DestroyedAt sql.NullTime `db:"destroyed_at"`
	}
	err := v.keystore.GetContext(ctx, &row,
		`SELECT sealed_key, destroyed_at FROM epoch_keys WHERE tenant_id = $1 AND epoch = $2`,
		tenantID, epoch)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("read epoch key %s: %w", epoch.Format(time.RFC3339), err)
	}
	if row.DestroyedAt.Valid || row.SealedKey == nil {
		return nil, fmt.Errorf("epoch %s: %w at %s", epoch.Format(time.RFC3339), ErrEpochDestroyed,
			row.DestroyedAt.Time.UTC().Format(time.RFC3339))
	}
	return row.SealedKey, nil
}

// insertEpochKey stores a fresh random epoch key unless the row exists.
func (v *Vault) insertEpochKey(ctx context.Context, tenantID uuid.UUID, epoch time.Time) error {
	key := make([]byte, 32)
	rand.Read(key) // never fails; crashes the program if the OS cannot supply entropy
	defer clear(key)
	box, err := v.master.subkey(epochKeyInfo)
	if err != nil {
		return fmt.Errorf("create epoch key %s: %w", epoch.Format(time.RFC3339), err)
	}
	sealed := box.Seal(nil, nil, key, epochKeyAD(tenantID, epoch))
	if _, err := v.keystore.ExecContext(ctx,
		`INSERT INTO epoch_keys (tenant_id, epoch, sealed_key, master_key_id) VALUES ($1, $2, $3, $4)
		 ON CONFLICT (tenant_id, epoch) DO NOTHING`,
		tenantID, epoch, sealed, MasterKeyID(v.master)); err != nil {
		return fmt.Errorf("create epoch key %s: %w", epoch.Format(time.RFC3339), err)
	}
	return nil
}

// DestroyEpoch destroys the tenant's epoch key for the hour of epoch (which
// is truncated to the hour, UTC, like expiry times are): every session key
// wrapped under it becomes unopenable, with or without the master key. It is
// idempotent, and the hour can never be created again: a row with a
// destroyed_at marker and no key material stays behind, also when the epoch
// was never used.
//
// The previous row version, key included, stays in the table's pages until
// PurgeDestroyed rewrites the table (VACUUM frees its space without clearing
// it), and the WAL holds it too; that version is still encrypted under the
// master key, which is why the key store's backups and WAL archives must not
// outlive an hour (docs/design.md invariant 2).
func (v *Vault) DestroyEpoch(ctx context.Context, tenantID uuid.UUID, epoch time.Time) error {
	epoch = idv.EpochOf(epoch)
	if _, err := v.keystore.ExecContext(ctx,
		`INSERT INTO epoch_keys (tenant_id, epoch, sealed_key, destroyed_at) VALUES ($1, $2, NULL, now())
		 ON CONFLICT (tenant_id, epoch) DO UPDATE
		 SET sealed_key = NULL, destroyed_at = coalesce(epoch_keys.destroyed_at, excluded.destroyed_at)`,
		tenantID, epoch); err != nil {
		return fmt.Errorf("vault: destroy epoch %s: %w", epoch.Format(time.RFC3339), err)
	}
	return nil
}
