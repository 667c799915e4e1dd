package vault

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// RotateBatch is how many rows a rotation reads and re-seals per
// transaction when the caller gives no batch size: small enough that a
// batch never holds locks the services wait on for long.
const RotateBatch = 500

// Resealed counts what one pass of a master-key rotation did with one kind of
// sealed value.
type Resealed struct {
	Resealed int // opened under an old master key and sealed again under the current one
	Stamped  int // already under the current key; its master key id recorded (epoch keys from before migration 003)
	Current  int // already under the current key; nothing to do
	Gone     int // destroyed, deleted or changed by someone else meanwhile; left alone
}

// RewrapEpochKeys re-seals every live epoch key of the key store that is not
// recorded as sealed under the current master key: it opens each under
// whichever key of the ring sealed it and writes it back sealed under the
// current key with the current key's id, in batches of batch rows (RotateBatch
// if batch <= 0). The epoch keys themselves do not change, so session keys
// wrapped under them, and captures, open as before.
//
// It is safe while the services run: each row is replaced only if it still
// holds the bytes that were read (a concurrent DestroyEpoch wins and the row
// is counted Gone), and a running vault opens either version. It is
// idempotent: a re-run finds nothing left and returns zero counts, and a run
// stopped part-way is finished by the next. A row that opens under no key of
// the ring stops it with ErrWrongMasterKey naming the tenant and hour.
func (v *Vault) RewrapEpochKeys(ctx context.Context, batch int) (Resealed, error) {
	if batch <= 0 {
		batch = RotateBatch
	}
	current := MasterKeyID(v.master)
	box, err := v.master.subkey(epochKeyInfo)
	if err != nil {
		return Resealed{}, fmt.Errorf("vault: rewrap epoch keys: %w", err)
	}
	var n Resealed
	after := struct {
		tenant uuid.UUID
		epoch  time.Time
	}{epoch: time.Unix(0, 0).UTC()}
	for {
		var rows []struct {
			TenantID  uuid.UUID      `db:"tenant_id"`
			Epoch     time.Time      `db:"epoch"`
			SealedKey []byte         `db:"sealed_key"`
			KeyID     sql.NullString `db:"master_key_id"`
		}
		if err := v.keystore.SelectContext(ctx, &rows, `SELECT tenant_id, epoch, sealed_key, master_key_id
			FROM epoch_keys
			WHERE destroyed_at IS NULL AND master_key_id IS DISTINCT FROM $1 AND (tenant_id, epoch) > ($2, $3)
			ORDER BY tenant_id, epoch LIMIT $4`, current, after.tenant, after.epoch, batch); err != nil {
			return n, fmt.Errorf("vault: rewrap epoch keys: read: %w", err)
		}
		if len(rows) == 0 {
			return n, nil
		}
		tx, err := v.keystore.BeginTxx(ctx, nil)
		if err != nil {
			return n, fmt.Errorf("vault: rewrap epoch keys: %w", err)
		}
		var done Resealed
		for _, r := range rows {
			epoch := r.Epoch.UTC()
			ad := epochKeyAD(r.TenantID, epoch)
			key, i, ok, err := v.openRing(epochKeyInfo, r.SealedKey, ad)
			if err == nil && !ok {
				err = fmt.Errorf("%w (configured master key ids: %s)", ErrWrongMasterKey, v.ringIDs())
			}
			if err != nil {
				tx.Rollback()
				return n, fmt.Errorf("vault: rewrap epoch key of tenant %s, hour %s: %w", r.TenantID, epoch.Format(time.RFC3339), err)
			}
			sealed := r.SealedKey
			if i != 0 {
				sealed = box.Seal(nil, nil, key, ad)
			}
			clear(key)
			changed, err := casEpochKey(ctx, tx, r.TenantID, r.Epoch, r.SealedKey, sealed, current)
			if err != nil {
				tx.Rollback()
				return n, fmt.Errorf("vault: rewrap epoch key of tenant %s, hour %s: %w", r.TenantID, epoch.Format(time.RFC3339), err)
			}
			switch {
			case !changed:
				done.Gone++
			case i != 0:
				done.Resealed++
			default:
				done.Stamped++
			}
		}
		if err := tx.Commit(); err != nil {
			return n, fmt.Errorf("vault: rewrap epoch keys: commit: %w", err)
		}
		n.Resealed += done.Resealed
		n.Stamped += done.Stamped
		n.Gone += done.Gone
		last := rows[len(rows)-1]
		after.tenant, after.epoch = last.TenantID, last.Epoch
	}
}

// casEpochKey replaces a live epoch key's sealed bytes if they are still old.
func casEpochKey(ctx context.Context, tx *sqlx.Tx, tenantID uuid.UUID, epoch time.Time, old, sealed []byte, keyID string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE epoch_keys SET sealed_key = $4, master_key_id = $5
		WHERE tenant_id = $1 AND epoch = $2 AND sealed_key = $3 AND destroyed_at IS NULL`,
		tenantID, epoch, old, sealed, keyID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// EpochKeysByMasterKey counts the live epoch keys per master key id ("" for
// rows not yet stamped): after a complete rotation only the current key's id
// is left, and the old key can be removed from IDV_MASTER_KEYS_OLD.
func (v *Vault) EpochKeysByMasterKey(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		KeyID sql.NullString `db:"master_key_id"`
		N     int            `db:"n"`
	}
	if err := v.keystore.SelectContext(ctx, &rows, `SELECT master_key_id, count(*) AS n FROM epoch_keys
		WHERE destroyed_at IS NULL GROUP BY master_key_id`); err != nil {
		return nil, fmt.Errorf("vault: count epoch keys by master key: %w", err)
	}
	m := make(map[string]int, len(rows))
	for _, r := range rows {
		m[r.KeyID.String] = r.N
	}
	return m, nil
}

// ResealSecret re-seals a secret that SealSecret sealed for the tenant and
// purpose under the current master key. If the current key sealed it
// already, it returns sealed itself and changed false, so a rotation that
// runs twice writes nothing the second time. A secret that opens under no
// key of the ring fails with seal.ErrOpen.
func (v *Vault) ResealSecret(tenantID uuid.UUID, purpose string, sealed []byte) (resealed []byte, changed bool, err error) {
	secret, current, err := v.openSecret(tenantID, purpose, sealed)
	if err != nil {
		return nil, false, err
	}
	defer clear(secret)
	if current {
		return sealed, false, nil
	}
	resealed, err = v.SealSecret(tenantID, purpose, secret)
	if err != nil {
		return nil, false, err
	}
	return resealed, !bytes.Equal(resealed, sealed), nil
}
