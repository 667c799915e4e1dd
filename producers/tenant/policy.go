package tenant

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// PolicyStore reads tenants and changes their policy and retention
// (postgres.Tenants).
type PolicyStore interface {
	RetentionStore
	Get(ctx context.Context, id uuid.UUID) (idv.Tenant, error)
	UpdatePolicy(ctx context.Context, id uuid.UUID, apply func(schemas.Policy) (schemas.Policy, error)) (schemas.Policy, error)
}

// Policies changes tenants' instructions: the policy document and the
// retention. Both the API (PATCH /v1/policy) and `idv tenant policy set`
// go through it, so both validate alike and both leave the same audit
// entries: policy_changed for the policy, retention_changed (through
// SetRetention, which also shortens and re-keys existing sessions) for
// the retention. The actor comes from the context (idv.WithActor).
type Policies struct {
	Tenants  PolicyStore
	Sessions SessionShortener
	Keys     Rewrapper
}

// Update validates ch in full against the tenant's current policy, then
// applies the policy settings and, if it changes, the retention. It
// returns the tenant as it now is. Errors from validation wrap ErrInvalid
// and a *schemas.SettingError naming the setting at fault.
func (p Policies) Update(ctx context.Context, tenantID uuid.UUID, ch schemas.PolicyChange) (idv.Tenant, error) {
	if ch.Empty() {
		return idv.Tenant{}, fmt.Errorf("%w: %w", ErrInvalid, schemas.ErrNoChange)
	}
	t, err := p.Tenants.Get(ctx, tenantID)
	if err != nil {
		return idv.Tenant{}, fmt.Errorf("tenant: %w", err)
	}
	// Validate everything before changing anything.
	if _, err := ch.Apply(t.Policy); err != nil {
		return idv.Tenant{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if _, err := p.Tenants.UpdatePolicy(ctx, tenantID, ch.Apply); err != nil {
		var se *schemas.SettingError
		if errors.As(err, &se) {
			return idv.Tenant{}, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		return idv.Tenant{}, fmt.Errorf("tenant: %w", err)
	}
	// Named, the retention is applied even when the tenant already has
	// it: a change that failed part-way (a key store that did not answer)
	// left sessions on the longer retention, and the retry shortens them.
	if ch.RetentionDays != nil {
		if _, err := SetRetention(ctx, p.Tenants, p.Sessions, p.Keys, tenantID, *ch.RetentionDays); err != nil {
			return idv.Tenant{}, err
		}
	}
	return p.Tenants.Get(ctx, tenantID)
}
