package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
)

// Tenants' logos for the hosted capture page (migration 027), beside the
// tenant store: one per tenant, in the tenant's scope. A change is
// recorded as policy_changed (actor from WithActor) in the same
// transaction, its detail the logo's fingerprint before and after
// (changed=logo, logo_from, logo_to: "sha256:" and 16 hex digits, or ""
// for none).

// PutLogo stores l as its tenant's logo, in place of any other.
func (s *Tenants) PutLogo(ctx context.Context, l idv.Logo) error {
	return inTx(ctx, s.db, tenantScope(l.TenantID), func(tx *sqlx.Tx) error {
		was, err := logoSum(ctx, tx, l.TenantID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tenant_logos (tenant_id, png, sha256, width, height, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (tenant_id) DO UPDATE SET png = $2, sha256 = $3, width = $4, height = $5, updated_at = $6`,
			l.TenantID, l.PNG, l.SHA256, l.Width, l.Height, l.UpdatedAt.UTC().Truncate(time.Microsecond)); err != nil {
			return fmt.Errorf("logos: put for %s: %w", l.TenantID, err)
		}
		return auditLogo(ctx, tx, l.TenantID, was, fingerprint(l.SHA256))
	})
}

// Logo reads a tenant's logo; idv.ErrNotFound when it has none.
func (s *Tenants) Logo(ctx context.Context, tenantID uuid.UUID) (idv.Logo, error) {
	l := idv.Logo{TenantID: tenantID}
	err := scopedScan(ctx, s.db, tenantScope(tenantID), []any{&l.PNG, &l.SHA256, &l.Width, &l.Height, &l.UpdatedAt},
		`SELECT png, sha256, width, height, updated_at FROM tenant_logos WHERE tenant_id = $1`, tenantID)
	if err != nil {
		return idv.Logo{}, rowErr(err, "logos: %s", "logos: get %s", tenantID)
	}
	return l, nil
}

// LogoSum is the SHA-256 of a tenant's logo, without the logo's bytes (the
// page names its link by it on every read of the session); ErrNotFound
// when it has none.
func (s *Tenants) LogoSum(ctx context.Context, tenantID uuid.UUID) ([]byte, error) {
	var sum []byte
	err := scopedScan(ctx, s.db, tenantScope(tenantID), []any{&sum},
		`SELECT sha256 FROM tenant_logos WHERE tenant_id = $1`, tenantID)
	if err != nil {
		return nil, rowErr(err, "logos: %s", "logos: sum of %s", tenantID)
	}
	return sum, nil
}

// DeleteLogo removes a tenant's logo; without one it does nothing.
func (s *Tenants) DeleteLogo(ctx context.Context, tenantID uuid.UUID) error {
	return inTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		was, err := logoSum(ctx, tx, tenantID)
		if err != nil || was == "" {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tenant_logos WHERE tenant_id = $1`, tenantID); err != nil {
			return fmt.Errorf("logos: delete for %s: %w", tenantID, err)
		}
		return auditLogo(ctx, tx, tenantID, was, "")
	})
}

// logoSum is the fingerprint of the tenant's logo, locked for the change;
// "" for none.
func logoSum(ctx context.Context, tx *sqlx.Tx, tenantID uuid.UUID) (string, error) {
	var sums [][]byte
	if err := tx.SelectContext(ctx, &sums, `SELECT sha256 FROM tenant_logos WHERE tenant_id = $1 FOR UPDATE`, tenantID); err != nil {
		return "", fmt.Errorf("logos: lock for %s: %w", tenantID, err)
	}
	if len(sums) == 0 {
		return "", nil
	}
	return fingerprint(sums[0]), nil
}

// fingerprint writes a SHA-256 as idv.Fingerprint names a setting's
// text: "sha256:" and its first 16 hex digits.
func fingerprint(sum []byte) string { return fmt.Sprintf("sha256:%x", sum[:8]) }

// auditLogo records a logo's change from was to now (fingerprints); the
// same logo again records nothing.
func auditLogo(ctx context.Context, tx *sqlx.Tx, tenantID uuid.UUID, was, now string) error {
	if was == now {
		return nil
	}
	return appendAudit(ctx, tx, idv.AuditEntry{TenantID: tenantID, Actor: idv.ActorOf(ctx, idv.ActorUnknown),
		Action: idv.AuditPolicyChanged, Detail: map[string]string{"changed": "logo", "logo_from": was, "logo_to": now}})
}
