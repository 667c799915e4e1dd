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

// WebhookEndpoint is a tenant's webhook endpoint as it may be shown: never
// a secret.
type WebhookEndpoint struct {
	URL        string
	DisabledAt *time.Time // the endpoint answered 410 Gone; a URL change re-enables it
	// LastRefusedAt and LastRefusal are the last delivery the address rules
	// refused since the URL was set, and why (a Refusal… code); nil and ""
	// when none was.
	LastRefusedAt *time.Time
	LastRefusal   string
	// OverlapUntil is when the last secret rotated out stops signing
	// deliveries beside the current one; nil when no overlap runs.
	OverlapUntil *time.Time
}
