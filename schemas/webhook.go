package schemas

// The webhook contract, shared by the notifier that signs deliveries and by
// anyone (our tests, the customer's backend) who verifies them. It follows the
// Standard Webhooks convention (https://www.standardwebhooks.com) so that a
// customer can verify IDV's deliveries with any of that specification's
// libraries: headers webhook-id, webhook-timestamp and
// webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">.

import (
	"time"
)

// Standard Webhooks header names.
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// Webhook secrets.
const (
	// WebhookSecretPrefix starts the text form of a webhook secret:
	// whsec_<standard base64 of the key bytes>.
	WebhookSecretPrefix = "whsec_"
	// MinWebhookSecretBytes and MaxWebhookSecretBytes bound a secret's key
	// bytes as the Standard Webhooks specification does.
	MinWebhookSecretBytes = 24
	MaxWebhookSecretBytes = 64
	// WebhookSecretPurpose is the vault purpose under which a tenant's webhook
	// secret is sealed: onboarding seals under it and the notifier opens under
	// it, and the two never import each other, so it lives in the contract.
	WebhookSecretPurpose = "webhook-secret"
)

// Webhook payload types (the "type" of a WebhookPayload).
const (
	WebhookSessionDecided        = "session.decided"
	WebhookSessionDeleted        = "session.deleted"
	WebhookSubprocessorAnnounced = "subprocessor.announced"
	WebhookBreachNotified        = "breach.notified"
	WebhookDSRReceived           = "dsr.received"
	WebhookAuditCheckpoint       = "audit.checkpoint"
)

// WebhookTypes are the types a webhook may have.
var WebhookTypes = []string{WebhookSessionDecided, WebhookSessionDeleted, WebhookSubprocessorAnnounced,
	WebhookBreachNotified, WebhookDSRReceived, WebhookAuditCheckpoint}

// WebhookPayload is the body of every webhook IDV sends. It is thin: ids,
// codes and an href to fetch the result with the tenant's API key, never
// personal data (docs/design.md invariant 1). Its bytes are the same on every retry of
// a delivery; only webhook-timestamp and webhook-signature change.
type WebhookPayload struct {
	Type      string      `json:"type"`      // WebhookSessionDecided
	Timestamp time.Time   `json:"timestamp"` // when the event happened, not when it was sent
	Data      WebhookData `json:"data"`
}

// WebhookData is what a webhook is about.
//
// Session webhooks carry session_id; the tenant notices (a sub-processor
// announced, a breach notified, an audit checkpoint) carry no session and
// their own fields.
type WebhookData struct {
	SessionID string `json:"session_id,omitempty"`
	TenantID  string `json:"tenant_id"`
	Decision  string `json:"decision,omitempty"` // for session.decided
	// Attempts is how many attempts the person made, for session.decided.
	Attempts int    `json:"attempts,omitempty"`
	Href     string `json:"href"` // GET this with the tenant's API key for the result
	// Fields are the policy-allowed fields, in a session.decided webhook
	// of a tenant whose policy asks for full payloads (webhook_payload
	// full); absent from thin ones.
	Fields map[string]any `json:"fields,omitempty"`

	// subprocessor.announced: which entry of GET /v1/subprocessors, from
	// when, and where to object.
	SubprocessorID string `json:"subprocessor_id,omitempty"`
	EffectiveDate  string `json:"effective_date,omitempty"`
	ObjectionHref  string `json:"objection_href,omitempty"`

	// breach.notified: the notice (GDPR art. 33(3) contents).
	Breach *BreachNotified `json:"breach,omitempty"`

	// dsr.received: the request's id and kind (access, rectification,
	// erasure, objection); session_id says whose.
	DSRID   string `json:"dsr_id,omitempty"`
	DSRKind string `json:"dsr_kind,omitempty"`

	// audit.checkpoint: the signed head of the tenant's audit chain.
	Checkpoint *WebhookCheckpoint `json:"checkpoint,omitempty"`
}

// WebhookCheckpoint is a signed audit checkpoint as the audit.checkpoint
// webhook carries it: the exact signed bytes (an AuditCheckpoint, purpose
// periodic), the Ed25519 signature and the id of the audit key that made it
// (GET /v1/signing-keys). Saved as a file, it is what `idv audit verify
// --checkpoint` checks the chain against.
type WebhookCheckpoint struct {
	Statement []byte `json:"statement"`
	Signature []byte `json:"signature"`
	KeyID     string `json:"key_id"`
}
