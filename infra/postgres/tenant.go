package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// Tenants stores tenants and their API keys.
type Tenants struct{ db *sqlx.DB }

// NewTenants returns the tenant store over db.
func NewTenants(db *sql.DB) *Tenants { return &Tenants{db: wrap(db)} }

// Create stores a tenant with its first API key in one transaction.
func (s *Tenants) Create(ctx context.Context, t idv.Tenant, key idv.APIKey) error {
	policy, err := json.Marshal(t.Policy)
	if err != nil {
		return fmt.Errorf("tenants: encode policy: %w", err)
	}
	return inTx(ctx, s.db, tenantScope(t.ID), func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tenants
			(tenant_id, name, retention_days, webhook_url, webhook_secret_sealed, policy)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			t.ID, t.Name, t.RetentionDays, t.WebhookURL, t.WebhookSecretSealed, string(policy)); err != nil {
			return fmt.Errorf("tenants: insert %s: %w", t.ID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_keys (key_id, tenant_id, secret_hash)
			VALUES ($1, $2, $3)`, key.ID, t.ID, key.SecretHash); err != nil {
			return fmt.Errorf("tenants: insert api key of %s: %w", t.ID, err)
		}
		return nil
	})
}

// tenantColumns are the columns of tenants that tenantRow reads.
const tenantColumns = `tenant_id, name, retention_days, webhook_url, webhook_secret_sealed, policy, created_at`

// tenantRow is a row of tenants as idv.Tenant holds it.
type tenantRow struct {
	t      idv.Tenant
	policy []byte
}

// fields are the destinations of tenantColumns, in their order.
func (r *tenantRow) fields() []any {
	return []any{&r.t.ID, &r.t.Name, &r.t.RetentionDays, &r.t.WebhookURL, &r.t.WebhookSecretSealed, &r.policy, &r.t.CreatedAt}
}

// tenant is the row's tenant with its policy decoded.
func (r *tenantRow) tenant() (idv.Tenant, error) {
	if err := json.Unmarshal(r.policy, &r.t.Policy); err != nil {
		return idv.Tenant{}, fmt.Errorf("tenants: decode policy of %s: %w", r.t.ID, err)
	}
	return r.t, nil
}

// Get reads a tenant.
func (s *Tenants) Get(ctx context.Context, id uuid.UUID) (idv.Tenant, error) {
	var row tenantRow
	err := scopedScan(ctx, s.db, tenantScope(id), row.fields(), `SELECT `+tenantColumns+` FROM tenants WHERE tenant_id = $1`, id)
	if err != nil {
		return idv.Tenant{}, rowErr(err, "tenants: %s", "tenants: get %s", id)
	}
	return row.tenant()
}

// FindByName returns the tenant of that name (used for the dev tenant). It
// looks across tenants: system scope.
func (s *Tenants) FindByName(ctx context.Context, name string) (uuid.UUID, error) {
	var id uuid.UUID
	err := scopedGet(ctx, s.db, systemScope, &id, `SELECT tenant_id FROM tenants WHERE name = $1 ORDER BY created_at LIMIT 1`, name)
	if err != nil {
		return uuid.Nil, rowErr(err, "tenants: name", "tenants: find by name")
	}
	return id, nil
}

// APIKey reads an API key by its id, with its end (revoked_at) if it has
// one: the caller refuses a key that is not Live by its own clock, since
// a rotated key ends at a time set ahead. The key is what tells whose
// request it is, so the lookup cannot be scoped to a tenant yet: system
// scope, reading api_keys and whether the key's tenant is offboarding.
func (s *Tenants) APIKey(ctx context.Context, keyID string) (idv.APIKey, error) {
	k, _, err := s.KeyAndTenant(ctx, keyID)
	return k, err
}

// KeyAndTenant is APIKey with the key's tenant, read in the same statement
// so that a request reads its tenant once, with its key. The tenant is
// the zero Tenant when the key is Offboarding (the caller refuses it).
func (s *Tenants) KeyAndTenant(ctx context.Context, keyID string) (idv.APIKey, idv.Tenant, error) {
	var (
		k   idv.APIKey
		row tenantRow
	)
	// A key of an offboarded tenant whose rows are deleted answers from its
	// tombstone (migration 025), offboarding.
	err := scopedScan(ctx, s.db, systemScope, append([]any{&k.ID, &k.TenantID, &k.SecretHash, &k.CreatedAt, &k.RevokedAt, &k.Offboarding},
		row.fields()...),
		`SELECT k.key_id, k.tenant_id, k.secret_hash, k.created_at, k.revoked_at, t.offboarding_at IS NOT NULL,
			t.tenant_id, t.name, t.retention_days, t.webhook_url, t.webhook_secret_sealed, t.policy, t.created_at
		FROM api_keys k JOIN tenants t ON t.tenant_id = k.tenant_id WHERE k.key_id = $1
		UNION ALL
		SELECT key_id, tenant_id, secret_hash, created_at, revoked_at, true,
			tenant_id, '', 0, '', ''::bytea, '{}'::jsonb, created_at
		FROM api_key_tombstones WHERE key_id = $1
		LIMIT 1`, keyID)
	if err != nil {
		return idv.APIKey{}, idv.Tenant{}, rowErr(err, "api keys: %s", "api keys: get %s", keyID)
	}
	if k.Offboarding {
		return k, idv.Tenant{}, nil
	}
	t, err := row.tenant()
	return k, t, err
}

// WebhookURLs lists every tenant's id and webhook URL, oldest tenant first
// (the other fields are left zero), for `idv doctor`'s check of the URLs
// against the current rule. It looks across tenants: system scope.
func (s *Tenants) WebhookURLs(ctx context.Context) ([]idv.Tenant, error) {
	ts, err := scopedRows(ctx, s.db, systemScope, func(t *idv.Tenant) []any { return []any{&t.ID, &t.WebhookURL} },
		`SELECT tenant_id, webhook_url FROM tenants ORDER BY created_at, tenant_id`)
	if err != nil {
		return nil, fmt.Errorf("tenants: list webhook URLs: %w", err)
	}
	return ts, nil
}

// SetWebhookURL points a tenant's webhooks at url and re-enables them; a
// refusal of the URL it had is cleared.
func (s *Tenants) SetWebhookURL(ctx context.Context, id uuid.UUID, url string) error {
	res, err := scopedExec(ctx, s.db, tenantScope(id), `UPDATE tenants SET webhook_url = $2, webhook_disabled_at = NULL,
		webhook_refused_at = CASE WHEN webhook_url = $2 THEN webhook_refused_at END,
		webhook_refusal = CASE WHEN webhook_url = $2 THEN webhook_refusal END
		WHERE tenant_id = $1`, id, url)
	if err != nil {
		return fmt.Errorf("tenants: set webhook URL of %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("tenants: %s: %w", id, idv.ErrNotFound)
	}
	return nil
}

// SetRetention sets a tenant's retention in days (the CHECK keeps it in
// 1..28) and records retention_changed (actor from WithActor) in the same
// transaction; setting the days it has changes and records nothing.
func (s *Tenants) SetRetention(ctx context.Context, id uuid.UUID, days int) error {
	return inTx(ctx, s.db, tenantScope(id), func(tx *sqlx.Tx) error {
		// NO KEY UPDATE, not UPDATE: inserts referencing the tenant (and the
		// audit append of another transaction holding the chain lock) need
		// KEY SHARE on this row; FOR UPDATE would deadlock with them.
		var was int
		err := tx.GetContext(ctx, &was, `SELECT retention_days FROM tenants WHERE tenant_id = $1 FOR NO KEY UPDATE`, id)
		if err != nil {
			return rowErr(err, "tenants: %s", "tenants: lock %s", id)
		}
		if was == days {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tenants SET retention_days = $2 WHERE tenant_id = $1`, id, days); err != nil {
			return fmt.Errorf("tenants: set retention of %s: %w", id, err)
		}
		return appendAudit(ctx, tx, idv.AuditEntry{TenantID: id, Actor: idv.ActorOf(ctx, idv.ActorUnknown),
			Action: idv.AuditRetentionChanged,
			Detail: map[string]string{"from_days": strconv.Itoa(was), "to_days": strconv.Itoa(days)}})
	})
}

// UpdatePolicy changes a tenant's policy under a row lock: apply gets the
// stored policy and returns the new one (or an error, which changes
// nothing). A change is recorded as policy_changed (actor from WithActor)
// in the same transaction, its detail the settings changed with their old
// and new values (idv.PolicyDiff); a change to the same values records
// nothing. It returns the policy now in force.
func (s *Tenants) UpdatePolicy(ctx context.Context, id uuid.UUID,
	apply func(schemas.Policy) (schemas.Policy, error)) (schemas.Policy, error) {
	var now schemas.Policy
	err := inTx(ctx, s.db, tenantScope(id), func(tx *sqlx.Tx) error {
		var raw []byte
		err := tx.GetContext(ctx, &raw, `SELECT policy FROM tenants WHERE tenant_id = $1 FOR NO KEY UPDATE`, id)
		if err != nil {
			return rowErr(err, "tenants: %s", "tenants: lock %s", id)
		}
		var old schemas.Policy
		if err := json.Unmarshal(raw, &old); err != nil {
			return fmt.Errorf("tenants: decode policy of %s: %w", id, err)
		}
		next, err := apply(old)
		if err != nil {
			return err
		}
		diff := idv.PolicyDiff(old, next)
		now = old
		if diff == nil {
			return nil
		}
		enc, err := json.Marshal(next)
		if err != nil {
			return fmt.Errorf("tenants: encode policy: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tenants SET policy = $2 WHERE tenant_id = $1`, id, string(enc)); err != nil {
			return fmt.Errorf("tenants: set policy of %s: %w", id, err)
		}
		now = next
		return appendAudit(ctx, tx, idv.AuditEntry{TenantID: id, Actor: idv.ActorOf(ctx, idv.ActorUnknown),
			Action: idv.AuditPolicyChanged, Detail: diff})
	})
	return now, err
}
