package idv

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

	"github.com/idv-oss/idv/schemas"
)

// Webhook signing after the Standard Webhooks convention: the signature of
// a delivery, and its check on the receiving side (the dev stack's receiver,
// and any customer that wants Go code for it).

// DefaultWebhookTolerance is how far a webhook-timestamp may be from the
// verifier's clock, either way, before Verify refuses it: it bounds how long
// a captured delivery can be replayed.
const DefaultWebhookTolerance = 5 * time.Minute

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
	if len(secret) < schemas.MinWebhookSecretBytes || len(secret) > schemas.MaxWebhookSecretBytes {
		return fmt.Errorf("%w: key of %d bytes, want %d to %d", ErrWebhookSecret, len(secret), schemas.MinWebhookSecretBytes, schemas.MaxWebhookSecretBytes)
	}
	if tolerance <= 0 {
		tolerance = DefaultWebhookTolerance
	}
	id, ts, sigs := h.Get(schemas.HeaderWebhookID), h.Get(schemas.HeaderWebhookTimestamp), h.Get(schemas.HeaderWebhookSignature)
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("%w: want %s, %s and %s", ErrWebhookHeader, schemas.HeaderWebhookID, schemas.HeaderWebhookTimestamp, schemas.HeaderWebhookSignature)
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
			return 0, fmt.Errorf("%w: %s is not decimal Unix seconds", ErrWebhookHeader, schemas.HeaderWebhookTimestamp)
		}
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s out of range", ErrWebhookHeader, schemas.HeaderWebhookTimestamp)
	}
	return n, nil
}

// ParseSecret decodes a webhook secret as shown to a tenant once at
// onboarding, whsec_<standard base64>, into the key bytes Sign and Verify
// take. The prefix may be left off, as the Standard Webhooks libraries allow.
// Errors wrap ErrWebhookSecret and never echo the input.
func ParseSecret(s string) ([]byte, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), schemas.WebhookSecretPrefix)
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: want %s followed by standard base64", ErrWebhookSecret, schemas.WebhookSecretPrefix)
	}
	if len(key) < schemas.MinWebhookSecretBytes || len(key) > schemas.MaxWebhookSecretBytes {
		return nil, fmt.Errorf("%w: key of %d bytes, want %d to %d", ErrWebhookSecret, len(key), schemas.MinWebhookSecretBytes, schemas.MaxWebhookSecretBytes)
	}
	return key, nil
}
