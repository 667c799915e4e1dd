package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
)

// A tenant's API keys over their life (idv.APIKeyStore): the core decides
// what to create, revoke or rotate; the store locks, reads and writes. The
// list and the decision never read a secret's hash.

// apiKeyColumns are a key's columns without its hash, in apiKeyFields' order.
const apiKeyColumns = `key_id, tenant_id, created_at, revoked_at`

func apiKeyFields(k *idv.APIKey) []any { return []any{&k.ID, &k.TenantID, &k.CreatedAt, &k.RevokedAt} }

// APIKeys lists the tenant's API keys, revoked ones included, oldest first,
// without their hashes.
func (s *Tenants) APIKeys(ctx context.Context, tenantID uuid.UUID) ([]idv.APIKey, error) {
	keys, err := scopedRows(ctx, s.db, tenantScope(tenantID), apiKeyFields, `SELECT `+apiKeyColumns+`
		FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, key_id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("api keys: list %s: %w", tenantID, err)
	}
	return keys, nil
}

// ChangeAPIKeys makes the change decide returns over the tenant's keys,
// with its audit entry, in one transaction. The tenant's row is held FOR NO
// KEY UPDATE meanwhile, so the tenant's key changes run one at a time and
// each decides over the keys as they are (NO KEY: the inserts of
// api_keys and of other tables referencing the tenant need KEY SHARE on
// it). A tenant that does not exist is idv.ErrNotFound.
func (s *Tenants) ChangeAPIKeys(ctx context.Context, tenantID uuid.UUID,
	decide func(keys []idv.APIKey) (idv.APIKeyChange, error)) error {
	return inTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		var one int
		err := tx.GetContext(ctx, &one, `SELECT 1 FROM tenants WHERE tenant_id = $1 FOR NO KEY UPDATE`, tenantID)
		if err != nil {
			return rowErr(err, "api keys: tenant %s", "api keys: lock tenant %s", tenantID)
		}
		keys, err := scanRows(ctx, tx, apiKeyFields, `SELECT `+apiKeyColumns+`
			FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, key_id`, tenantID)
		if err != nil {
			return fmt.Errorf("api keys: read %s: %w", tenantID, err)
		}
		ch, err := decide(keys)
		if err != nil {
			return err
		}
		if ch.Add == nil && ch.End == "" {
			return nil
		}
		if ch.Audit.TenantID != tenantID {
			return fmt.Errorf("api keys: the change of %s is recorded for tenant %s", tenantID, ch.Audit.TenantID)
		}
		if k := ch.Add; k != nil {
			if k.TenantID != tenantID || len(k.SecretHash) == 0 {
				return fmt.Errorf("api keys: a key %s for tenant %s without its tenant or hash", k.ID, tenantID)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO api_keys (key_id, tenant_id, secret_hash, created_at)
				VALUES ($1, $2, $3, $4)`, k.ID, tenantID, k.SecretHash, k.CreatedAt); err != nil {
				return fmt.Errorf("api keys: insert %s of %s: %w", k.ID, tenantID, err)
			}
		}
		if ch.End != "" {
			n, err := execCount(ctx, tx, `UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND key_id = $2`,
				tenantID, ch.End, ch.EndAt)
			if err != nil {
				return fmt.Errorf("api keys: end %s of %s: %w", ch.End, tenantID, err)
			}
			if n == 0 {
				return fmt.Errorf("api keys: %s of %s: %w", ch.End, tenantID, idv.ErrNotFound)
			}
		}
		return appendAudit(ctx, tx, ch.Audit)
	})
}
