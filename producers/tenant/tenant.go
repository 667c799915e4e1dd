// Package tenant onboards customers: it validates a tenant's instructions
// (retention, policy fields, webhook endpoint), mints the tenant's API key and
// webhook secret, and stores the tenant with the key hashed and the secret
// sealed by the vault. The credentials are returned once and never again.
package tenant

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/credential"
	"github.com/idv-oss/idv/schemas"
)

// ErrInvalid marks a request IDV refuses; the message says what to change.
var ErrInvalid = errors.New("invalid tenant")

// Request is what a new tenant instructs.
type Request struct {
	Name          string
	WebhookURL    string
	RetentionDays int
	Fields        []string // policy fields; empty means the default policy's
	Checks        []string // checks sessions run; empty means the default policy's
	SelfieFrames  int      // 0 means the default
	AllowSpecimen bool
	// RequireHTTPS holds the webhook URL to the rule outside development
	// (idv.CheckWebhookURL: https://, a public address or name). `idv tenant
	// create` sets it unless IDV_WEBHOOK_ALLOW_PRIVATE (development, where
	// the receiver is on loopback); unset, any well-formed http(s) URL is
	// accepted and the notifier still refuses inward addresses at connect
	// time.
	RequireHTTPS bool
}

// Created holds the credentials shown once. As JSON (idv dev's
// dev-tenant.json) its names are the API's: snake_case.
type Created struct {
	TenantID      uuid.UUID `json:"tenant_id"`
	APIKey        string    `json:"api_key"`
	WebhookSecret string    `json:"webhook_secret"` // Standard Webhooks form: whsec_<base64>
}

// Store is where tenants go.
type Store interface {
	Create(ctx context.Context, t idv.Tenant, key idv.APIKey) error
}

// SecretSealer seals secrets that must stay usable (the webhook secret).
type SecretSealer interface {
	SealSecret(tenantID uuid.UUID, purpose string, secret []byte) ([]byte, error)
}

// Create validates req and stores the new tenant.
func Create(ctx context.Context, store Store, sealer SecretSealer, req Request) (Created, error) {
	policy, err := req.policy()
	if err != nil {
		return Created{}, err
	}
	id := uuid.New()
	key, err := credential.New(credential.APIKey, credential.NewID(8))
	if err != nil {
		return Created{}, fmt.Errorf("tenant: api key: %w", err)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return Created{}, fmt.Errorf("tenant: webhook secret: %w", err)
	}
	sealed, err := sealer.SealSecret(id, schemas.WebhookSecretPurpose, secret)
	if err != nil {
		return Created{}, fmt.Errorf("tenant: seal webhook secret: %w", err)
	}
	t := idv.Tenant{ID: id, Name: req.Name, RetentionDays: req.RetentionDays,
		WebhookURL: req.WebhookURL, WebhookSecretSealed: sealed, Policy: policy}
	if err := store.Create(ctx, t, idv.APIKey{ID: key.ID, TenantID: id, SecretHash: key.Hash()}); err != nil {
		return Created{}, fmt.Errorf("tenant: %w", err)
	}
	return Created{TenantID: id, APIKey: key.String(),
		WebhookSecret: schemas.WebhookSecretPrefix + base64.StdEncoding.EncodeToString(secret)}, nil
}

func (req Request) policy() (schemas.Policy, error) {
	if strings.TrimSpace(req.Name) == "" || len(req.Name) > 200 {
		return schemas.Policy{}, fmt.Errorf("%w: name must be 1 to 200 characters", ErrInvalid)
	}
	if err := schemas.ValidateRetentionDays(req.RetentionDays); err != nil {
		return schemas.Policy{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := idv.CheckWebhookURL(req.WebhookURL, !req.RequireHTTPS); err != nil {
		return schemas.Policy{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	p := schemas.DefaultPolicy()
	if len(req.Fields) > 0 {
		p.Fields = req.Fields
	}
	if len(req.Checks) > 0 {
		p.Checks = req.Checks
	}
	if req.SelfieFrames != 0 {
		p.SelfieFrames = req.SelfieFrames
	}
	p.AllowSpecimen = req.AllowSpecimen
	if err := p.Validate(); err != nil {
		return schemas.Policy{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return p, nil
}
