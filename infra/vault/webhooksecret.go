package vault

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv/schemas"
)

// systemRole is the main database's role that sees every tenant's rows
// (infra/postgres.SystemRole, migration 016). The rotation is one of the
// system-scope uses docs/processor-duties.md lists: it must reach every
// tenant's sealed secret.
const systemRole = "idv_system"

// RewrapWebhookSecrets re-seals every tenant's webhook secret
// (tenants.webhook_secret_sealed in the main database, db) under the current
// master key, in batches of batch tenants (RotateBatch if batch <= 0), each
// in a transaction of the system scope. Like RewrapEpochKeys it is safe while
// the services run (a secret changed meanwhile is left alone and counted
// Gone: whoever changed it sealed it under the current key), idempotent, and
// finishes what an interrupted run left. Offboarded tenants, whose secret is
// emptied, are skipped. A secret that opens under no key of the ring stops it
// with seal.ErrOpen naming the tenant.
func (v *Vault) RewrapWebhookSecrets(ctx context.Context, main *sql.DB, batch int) (Resealed, error) {
	if batch <= 0 {
		batch = RotateBatch
	}
	db := sqlx.NewDb(main, "postgres")
	var n Resealed
	after := uuid.Nil
	for {
		var rows []struct {
			TenantID uuid.UUID `db:"tenant_id"`
			Sealed   []byte    `db:"webhook_secret_sealed"`
		}
		var done Resealed
		err := inSystemScope(ctx, db, func(tx *sqlx.Tx) error {
			if err := tx.SelectContext(ctx, &rows, `SELECT tenant_id, webhook_secret_sealed FROM tenants
				WHERE tenant_id > $1 AND length(webhook_secret_sealed) > 0
				ORDER BY tenant_id LIMIT $2`, after, batch); err != nil {
				return fmt.Errorf("read: %w", err)
			}
			for _, r := range rows {
				resealed, changed, err := v.ResealSecret(r.TenantID, schemas.WebhookSecretPurpose, r.Sealed)
				if err != nil {
					return fmt.Errorf("tenant %s: %w", r.TenantID, err)
				}
				if !changed {
					done.Current++
					continue
				}
				res, err := tx.ExecContext(ctx, `UPDATE tenants SET webhook_secret_sealed = $3
					WHERE tenant_id = $1 AND webhook_secret_sealed = $2`, r.TenantID, r.Sealed, resealed)
				if err != nil {
					return fmt.Errorf("tenant %s: %w", r.TenantID, err)
				}
				if k, err := res.RowsAffected(); err != nil {
					return fmt.Errorf("tenant %s: %w", r.TenantID, err)
				} else if k == 1 {
					done.Resealed++
				} else {
					done.Gone++
				}
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("vault: rewrap webhook secrets: %w", err)
		}
		if len(rows) == 0 {
			retiring, err := v.rewrapRetiringSecrets(ctx, db)
			n.Resealed += retiring.Resealed
			n.Current += retiring.Current
			n.Gone += retiring.Gone
			return n, err
		}
		n.Resealed += done.Resealed
		n.Current += done.Current
		n.Gone += done.Gone
		after = rows[len(rows)-1].TenantID
	}
}

// rewrapRetiringSecrets re-seals the rotated-out webhook secrets still in
// their overlap (webhook_secrets_retiring), in one transaction: a handful
// per tenant at most, and a rotation deletes the ended ones.
func (v *Vault) rewrapRetiringSecrets(ctx context.Context, db *sqlx.DB) (Resealed, error) {
	var n Resealed
	err := inSystemScope(ctx, db, func(tx *sqlx.Tx) error {
		var rows []struct {
			TenantID uuid.UUID `db:"tenant_id"`
			Sealed   []byte    `db:"secret_sealed"`
		}
		if err := tx.SelectContext(ctx, &rows, `SELECT tenant_id, secret_sealed FROM webhook_secrets_retiring
			WHERE ends_at > now()`); err != nil {
			return fmt.Errorf("read retiring: %w", err)
		}
		for _, r := range rows {
			resealed, changed, err := v.ResealSecret(r.TenantID, schemas.WebhookSecretPurpose, r.Sealed)
			if err != nil {
				return fmt.Errorf("retiring secret of tenant %s: %w", r.TenantID, err)
			}
			if !changed {
				n.Current++
				continue
			}
			res, err := tx.ExecContext(ctx, `UPDATE webhook_secrets_retiring SET secret_sealed = $3
				WHERE tenant_id = $1 AND secret_sealed = $2`, r.TenantID, r.Sealed, resealed)
			if err != nil {
				return fmt.Errorf("retiring secret of tenant %s: %w", r.TenantID, err)
			}
			if k, _ := res.RowsAffected(); k > 0 {
				n.Resealed++
			} else {
				n.Gone++
			}
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("vault: rewrap retiring webhook secrets: %w", err)
	}
	return n, nil
}

// inSystemScope runs fn in a transaction of the main database's system role
// and commits unless fn fails.
func inSystemScope(ctx context.Context, db *sqlx.DB, fn func(*sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT set_config('role', '`+systemRole+`', true)`); err != nil {
		return fmt.Errorf("enter the system scope: %w", err)
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
