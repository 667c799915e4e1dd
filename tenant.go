package idv

import (
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv/schemas"
)

// Tenant is a customer of IDV (a controller).
type Tenant struct {
	ID                  uuid.UUID
	Name                string
	RetentionDays       int
	WebhookURL          string
	WebhookSecretSealed []byte
	Policy              schemas.Policy
	CreatedAt           time.Time
}

// APIKey is a tenant's API key as stored: its id, the hash of its secret
// and when it was made and ends.
type APIKey struct {
	ID         string
	TenantID   uuid.UUID
	SecretHash []byte
	CreatedAt  time.Time
	// RevokedAt is when the key stops working: nil while it has no end,
	// in the future while a rotation's overlap runs (apikey.go, Live).
	RevokedAt *time.Time
	// Offboarding reports that the tenant is being offboarded: its keys
	// are refused from then on (Offboardings.Start).
	Offboarding bool
}
