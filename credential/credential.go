// Package credential makes and checks IDV's bearer credentials: tenant API
// keys (idv_sk_<key id>_<secret>) and app tokens (idv_at_<session id>_<secret>).
// Only SHA-256 hashes of the 32-byte random secrets are stored: a secret that
// random needs no slow hash, and a leaked table opens nothing.
package credential

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Kinds of credential, by prefix.
const (
	APIKey   = "idv_sk"
	AppToken = "idv_at"
)

// ErrMalformed means the text is not a credential of the expected kind.
var ErrMalformed = errors.New("credential: malformed")

const secretLen = 32

// Credential is a parsed bearer credential.
type Credential struct {
	Kind   string
	ID     string
	Secret []byte
}

// New makes a credential of kind for id with a fresh random secret. The id
// must be lower-case hex (a key id or a session id without dashes).
func New(kind, id string) (Credential, error) {
	if _, err := hex.DecodeString(id); err != nil || id == "" || strings.ToLower(id) != id {
		return Credential{}, fmt.Errorf("credential: id must be lower-case hex: %w", ErrMalformed)
	}
	secret := make([]byte, secretLen)
	if _, err := rand.Read(secret); err != nil {
		return Credential{}, fmt.Errorf("credential: random: %w", err)
	}
	return Credential{Kind: kind, ID: id, Secret: secret}, nil
}

// NewID returns a random lower-case hex id of n bytes (key ids).
func NewID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// String is the bearer text; show it once, store only Hash.
func (c Credential) String() string {
	return c.Kind + "_" + c.ID + "_" + base64.RawURLEncoding.EncodeToString(c.Secret)
}

// Hash is what is stored.
func (c Credential) Hash() []byte {
	h := sha256.Sum256(c.Secret)
	return h[:]
}

// Matches reports, in constant time, whether the credential's secret hashes
// to stored.
func (c Credential) Matches(stored []byte) bool {
	return subtle.ConstantTimeCompare(c.Hash(), stored) == 1
}

// Parse reads a bearer text of the given kind. Only the canonical text, the
// one String gives, parses.
func Parse(kind, text string) (Credential, error) {
	rest, ok := strings.CutPrefix(text, kind+"_")
	if !ok {
		return Credential{}, ErrMalformed
	}
	id, enc, ok := strings.Cut(rest, "_")
	if !ok || id == "" || len(id) > 64 || strings.ToLower(id) != id {
		return Credential{}, ErrMalformed
	}
	if _, err := hex.DecodeString(id); err != nil {
		return Credential{}, ErrMalformed
	}
	// One spelling per credential: the lenient decoder would take any of
	// four last characters (it ignores the two bits past the 32 bytes) and
	// skip line breaks, so one secret would have many bearer texts.
	if len(enc) != base64.RawURLEncoding.EncodedLen(secretLen) {
		return Credential{}, ErrMalformed
	}
	secret, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil || len(secret) != secretLen {
		return Credential{}, ErrMalformed
	}
	return Credential{Kind: kind, ID: id, Secret: secret}, nil
}

// FromBearer extracts the credential text from an Authorization header value.
func FromBearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
