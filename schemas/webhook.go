package schemas

// The webhook contract, shared by the notifier that signs deliveries and by
// anyone (our tests, the customer's backend) who verifies them. It follows the
// Standard Webhooks convention (https://www.standardwebhooks.com) so that a
// customer can verify IDV's deliveries with any of that specification's
// libraries: headers webhook-id, webhook-timestamp and
// webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
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

// DefaultWebhookTolerance is how far a webhook-timestamp may be from the
// verifier's clock, either way, before Verify refuses it: it bounds how long
// a captured delivery can be replayed.
const DefaultWebhookTolerance = 5 * time.Minute

// Webhook payload types (the "type" of a WebhookPayload).
const (
	WebhookSessionDecided        = "session.decided"
	WebhookSessionDeleted        = "session.deleted"
	WebhookSubprocessorAnnounced = "subprocessor.announced"
	WebhookBreachNotified        = "breach.notified"
	WebhookDSRReceived           = "dsr.received"
)

// Sentinel errors of Verify and ParseSecret. Verify's errors wrap exactly one
// of them; none ever echoes a secret or a signature.
var (
	// ErrWebhookSecret: the secret is not whsec_<base64> of 24 to 64 bytes.
	ErrWebhookSecret = errors.New("webhook: invalid secret")
	// ErrWebhookHeader: webhook-id, webhook-timestamp or webhook-signature is
	// missing, or the timestamp is not a Unix time in decimal seconds.
	ErrWebhookHeader = errors.New("webhook: missing or malformed header")
	// ErrWebhookTimestamp: the timestamp is further from now than the
	// tolerance (a replay, or a badly wrong clock).
	ErrWebhookTimestamp = errors.New("webhook: timestamp outside tolerance")
	// ErrWebhookSignature: no v1 signature in the header matches.
	ErrWebhookSignature = errors.New("webhook: no matching signature")
)

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
// announced, a breach notified) carry no session and their own fields.
type WebhookData struct {
	SessionID string `json:"session_id,omitempty"`
	TenantID  string `json:"tenant_id"`
	Decision  string `json:"decision,omitempty"` // for session.decided
	Href      string `json:"href"`               // GET this with the tenant's API key for the result
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
}

// Sign returns the webhook-signature value of a delivery: "v1," followed by
// the standard base64 of HMAC-SHA256 under secret of "id.timestamp.body",
// timestamp in Unix seconds.
func Sign(secret []byte, id string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(secret, id, strconv.FormatInt(ts.Unix(), 10), body))
}

func mac(secret []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a delivery's headers against its exact body bytes: the
// webhook-timestamp must be within tolerance of now (DefaultWebhookTolerance
// when tolerance ≤ 0), and at least one of the space-separated "v1,<base64>"
// entries of webhook-signature must be the signature under secret (several
// entries let a sender roll its secret). Other versions are ignored. The
// comparison is constant-time. The error wraps ErrWebhookSecret,
// ErrWebhookHeader, ErrWebhookTimestamp or ErrWebhookSignature.
func Verify(secret []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) < MinWebhookSecretBytes || len(secret) > MaxWebhookSecretBytes {
		return fmt.Errorf("%w: key of %d bytes, want %d to %d", ErrWebhookSecret, len(secret), MinWebhookSecretBytes, MaxWebhookSecretBytes)
	}
	if tolerance <= 0 {
		tolerance = DefaultWebhookTolerance
	}
	id, ts, sigs := h.Get(HeaderWebhookID), h.Get(HeaderWebhookTimestamp), h.Get(HeaderWebhookSignature)
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("%w: want %s, %s and %s", ErrWebhookHeader, HeaderWebhookID, HeaderWebhookTimestamp, HeaderWebhookSignature)
	}
	sent, err := parseTimestamp(ts)
	if err != nil {
		return err
	}
	// In whole seconds, as sent; sent ≥ 0 and now is a real clock, so the
	// difference cannot overflow.
	skew := now.Unix() - sent
	if limit := int64(tolerance / time.Second); skew > limit || skew < -limit {
		return fmt.Errorf("%w: %d s from now, tolerance %s", ErrWebhookTimestamp, skew, tolerance)
	}
	// Compare the text, not decoded bytes: lenient base64 would let several
	// spellings of one signature pass, and the text comparison is as strong.
	want := []byte(base64.StdEncoding.EncodeToString(mac(secret, id, ts, body)))
	ok := false
	for _, entry := range strings.Fields(sigs) {
		version, sig, found := strings.Cut(entry, ",")
		if !found || version != "v1" {
			continue
		}
		// Look at every entry so the time taken says nothing about which matched.
		if hmac.Equal([]byte(sig), want) {
			ok = true
		}
	}
	if !ok {
		return ErrWebhookSignature
	}
	return nil
}

// parseTimestamp reads decimal Unix seconds: digits only (no sign, no
// spaces), as the Standard Webhooks libraries send them.
func parseTimestamp(ts string) (int64, error) {
	for i := 0; i < len(ts); i++ {
		if ts[i] < '0' || ts[i] > '9' {
			return 0, fmt.Errorf("%w: %s is not decimal Unix seconds", ErrWebhookHeader, HeaderWebhookTimestamp)
		}
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s out of range", ErrWebhookHeader, HeaderWebhookTimestamp)
	}
	return n, nil
}

// ParseSecret decodes a webhook secret as shown to a tenant once at
// onboarding, whsec_<standard base64>, into the key bytes Sign and Verify
// take. The prefix may be left off, as the Standard Webhooks libraries allow.
// Errors wrap ErrWebhookSecret and never echo the input.
func ParseSecret(s string) ([]byte, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), WebhookSecretPrefix)
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: want %s followed by standard base64", ErrWebhookSecret, WebhookSecretPrefix)
	}
	if len(key) < MinWebhookSecretBytes || len(key) > MaxWebhookSecretBytes {
		return nil, fmt.Errorf("%w: key of %d bytes, want %d to %d", ErrWebhookSecret, len(key), MinWebhookSecretBytes, MaxWebhookSecretBytes)
	}
	return key, nil
}
