// Package vault is IDV's key custody and sealing: the HPKE suite every capture
// is sealed with, one key pair per session, and the epoch keys that wrap the
// session private keys (docs/design.md invariants 2 and 3).
//
// Each session's private key is wrapped (AES-256-GCM, bound to tenant,
// session and epoch) under an epoch key: one random key per tenant and
// expiry hour (UTC), kept in a key store database apart from the main one and
// encrypted there under the master key. Destroying an epoch key once its
// hour's sessions are wiped makes every copy of their wrapped keys, and so of
// their captures, unopenable, backups included. Epoch keys are random rather
// than derived, so the master key, which outlives them, cannot bring them back.
//
// The vault also seals small long-lived secrets that must stay usable, such
// as webhook signing secrets, under keys derived from the master key.
package vault

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Vault holds the master key and the key store. It is safe for concurrent use.
type Vault struct {
	master    MasterKey   // seals; opens first
	old       []MasterKey // opens only (WithOldMasterKeys)
	keystore  *sqlx.DB
	purgeWait time.Duration // purgeWait when zero; tests shorten it
}

// New returns a vault over the key store database (IDV_KEYSTORE_URL, migrated
// with schemas.KeyStoreMigrations), which must not be the main database.
// It seals under master and opens under master or any key of
// WithOldMasterKeys.
func New(master MasterKey, keystore *sql.DB, opts ...Option) *Vault {
	v := &Vault{master: master, keystore: sqlx.NewDb(keystore, "postgres")}
	for _, o := range opts {
		o(v)
	}
	return v
}

// Ping checks that the key store answers and is migrated.
func (v *Vault) Ping(ctx context.Context) error {
	if _, err := v.keystore.ExecContext(ctx, `SELECT 1 FROM epoch_keys LIMIT 1`); err != nil {
		return fmt.Errorf("vault: ping key store: %w", err)
	}
	return nil
}
