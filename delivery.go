package idv

import (
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv/schemas"
)

// Webhook delivery outcomes, as recorded in webhook_deliveries.
const (
	DeliveryDelivered = "delivered" // the endpoint answered 2xx
	DeliveryFailed    = "failed"    // any other answer, or none; retried
	DeliveryRefused   = "refused"   // the address rules refuse the endpoint; not retried
	DeliveryDisabled  = "disabled"  // the endpoint is disabled (or just answered 410)
)

// Why a delivery was refused (DeliveryRefused): its error code in
// webhook_deliveries, the tenant's audit entry and GET /v1/webhook's
// last_refusal. Codes only, never the address a name resolved to.
const (
	// RefusalAddressNotAllowed: the host resolved to an address the rules
	// refuse (loopback, private, link-local, shared, reserved), so nothing
	// was sent.
	RefusalAddressNotAllowed = "address_not_allowed"
	// RefusalURLNotAllowed: the stored URL fails CheckWebhookURL (stored
	// under an older rule, or in the dev stack's looser one).
	RefusalURLNotAllowed = "url_not_allowed"
)

// DeliveryRefusals are the refusal codes.
var DeliveryRefusals = []string{RefusalAddressNotAllowed, RefusalURLNotAllowed}

// DeliveryAttempt is one attempt to deliver a webhook. It holds ids and codes
// only (docs/design.md invariant 1): never the URL, the body or the endpoint's answer.
type DeliveryAttempt struct {
	TenantID   uuid.UUID
	SessionID  uuid.UUID // uuid.Nil is stored as NULL
	WebhookID  string    // webhook-id header, the same on every attempt
	EventType  string    // payload type, e.g. session.decided
	Attempt    int       // 1 on the first
	StatusCode int       // HTTP status; 0 when there was no answer (stored as NULL)
	Outcome    string    // one of the Delivery… constants
	ErrorCode  string    // a fixed code such as timeout; "" is stored as NULL
	Duration   time.Duration
}

// WebhookTarget is where and how a tenant's webhooks go.
type WebhookTarget struct {
	URL          string
	SecretSealed []byte     // open with the vault under schemas.WebhookSecretPurpose
	DisabledAt   *time.Time // set when the endpoint answered 410 Gone
	// Policy is the tenant's policy now: its payload mode and fields
	// decide what a full session.decided webhook carries.
	Policy schemas.Policy
}

// DeliveryPlan is what the notifier reads before it sends one webhook, in
// one transaction: whether it was delivered already, where the tenant's
// webhooks go, and the rotated-out secrets (sealed, newest first) whose
// overlap is still running, which sign beside the current one.
type DeliveryPlan struct {
	Delivered bool
	Target    WebhookTarget
	Retiring  [][]byte
}

// Disabled reports whether deliveries to the endpoint have stopped.
func (t WebhookTarget) Disabled() bool { return t.DisabledAt != nil }
