// Package seal is IDV's one HPKE suite (ML-KEM-768+X25519, HKDF-SHA256,
// AES-256-GCM; docs/design.md invariant 2): sealing a capture or the
// extracted fields to a session's public key, opening them with the session's
// private key once the vault has unwrapped it, and the streamed sealing of an
// offboarding archive to a tenant's key. It holds no keys and reaches no
// store: the vault keeps the keys.
package seal

import (
	"crypto/hpke"
	"fmt"

	"github.com/google/uuid"
)

// The one HPKE suite IDV uses (docs/design.md invariant 2): ML-KEM-768+X25519
// (X-Wing), HKDF-SHA256, AES-256-GCM. Apps must seal with exactly this suite.
const (
	SuiteKEM  uint16 = 0x647a
	SuiteKDF  uint16 = 0x0001
	SuiteAEAD uint16 = 0x0002
)

// Overhead is how many bytes sealing adds to a capture: the 1,120-byte
// encapsulated key (ML-KEM-768 ciphertext and X25519 share) and the 16-byte
// AES-GCM tag. Declared capture sizes are of the sealed bytes.
const Overhead = 1120 + 16

// KEM is the suite's key encapsulation: ML-KEM-768+X25519 (X-Wing).
func KEM() hpke.KEM { return hpke.MLKEM768X25519() }

func kdf() hpke.KDF   { return hpke.HKDFSHA256() }
func aead() hpke.AEAD { return hpke.AES256GCM() }

// CaptureInfo returns the HPKE info a capture of an attempt is sealed
// with: "idv/v2 capture <session-id> <attempt> <kind> <index>" in UTF-8,
// the session id in canonical lower-case form and the attempt in decimal
// from 1. Binding the attempt and the slot into the info is what makes a
// capture copied to another session, attempt, kind or index fail to open.
func CaptureInfo(sessionID uuid.UUID, attempt int, kind string, index int) []byte {
	return fmt.Appendf(nil, "idv/v2 capture %s %d %s %d", sessionID.String(), attempt, kind, index)
}

// CaptureInfoV1 is the HPKE info of the first contract, before attempts:
// "idv/v1 capture <session-id> <kind> <index>". It binds no attempt, so a
// capture sealed with it is accepted for the first attempt only
// (capture.Open), where it cannot stand in for another attempt's.
func CaptureInfoV1(sessionID uuid.UUID, kind string, index int) []byte {
	return fmt.Appendf(nil, "idv/v1 capture %s %s %d", sessionID.String(), kind, index)
}

// FieldsInfo is the HPKE info of the fields a check extracted for a
// session, sealed to the session key before they are stored.
func FieldsInfo(sessionID uuid.UUID, check string) []byte {
	return fmt.Appendf(nil, "idv/v1 fields %s %s", sessionID.String(), check)
}

// Seal seals plaintext to an HPKE public key of the IDV suite in single-shot
// mode and returns enc||ciphertext, the same bytes npm @hpke/core produces
// for the app. info must match the opener's byte for byte.
func Seal(publicKey []byte, info, plaintext []byte) ([]byte, error) {
	pk, err := KEM().NewPublicKey(publicKey)
	if err != nil {
		return nil, fmt.Errorf("seal: public key: %w", err)
	}
	sealed, err := hpke.Seal(pk, kdf(), aead(), info, plaintext)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return sealed, nil
}

// Open opens enc||ciphertext sealed to the session key with the given info.
// Any failure to authenticate (wrong session or slot, tampering, truncation)
// wraps ErrOpen.
func Open(key *SessionKey, info, sealed []byte) ([]byte, error) {
	if key == nil || key.priv == nil {
		return nil, fmt.Errorf("seal: open: no session key")
	}
	if len(sealed) < Overhead {
		return nil, fmt.Errorf("seal: open: %w: %d bytes is shorter than the %d-byte overhead", ErrOpen, len(sealed), Overhead)
	}
	pt, err := hpke.Open(key.priv, kdf(), aead(), info, sealed)
	if err != nil {
		return nil, fmt.Errorf("seal: open: %w: %w", ErrOpen, err)
	}
	return pt, nil
}

// SessionKey is an opened session private key, usable by Open. Keep it only
// as long as the work that needs it.
type SessionKey struct {
	tenantID, sessionID uuid.UUID
	priv                hpke.PrivateKey
}

// TenantID returns the tenant the key belongs to.
func (k *SessionKey) TenantID() uuid.UUID { return k.tenantID }

// SessionID returns the session the key belongs to.
func (k *SessionKey) SessionID() uuid.UUID { return k.sessionID }

// PublicKey returns the HPKE public key bytes matching the private key.
func (k *SessionKey) PublicKey() []byte { return k.priv.PublicKey().Bytes() }

// PrivateKey returns the private key itself, for the vault to wrap it
// again under another epoch; nothing else needs it.
func (k *SessionKey) PrivateKey() hpke.PrivateKey { return k.priv }

// NewSessionKey is the opened private key priv of a tenant's session; the
// vault makes one when it unwraps a session key.
func NewSessionKey(tenantID, sessionID uuid.UUID, priv hpke.PrivateKey) *SessionKey {
	return &SessionKey{tenantID: tenantID, sessionID: sessionID, priv: priv}
}
