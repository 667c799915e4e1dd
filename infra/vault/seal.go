package vault

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

func kem() hpke.KEM   { return hpke.MLKEM768X25519() }
func kdf() hpke.KDF   { return hpke.HKDFSHA256() }
func aead() hpke.AEAD { return hpke.AES256GCM() }

// CaptureInfo returns the HPKE info a capture is sealed with:
// "idv/v1 capture <session-id> <kind> <index>" in UTF-8, the session id in
// canonical lower-case form. Binding the slot into the info is what makes a
// capture copied to another session, kind or index fail to open.
func CaptureInfo(sessionID uuid.UUID, kind string, index int) []byte {
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
	pk, err := kem().NewPublicKey(publicKey)
	if err != nil {
		return nil, fmt.Errorf("vault: seal: public key: %w", err)
	}
	sealed, err := hpke.Seal(pk, kdf(), aead(), info, plaintext)
	if err != nil {
		return nil, fmt.Errorf("vault: seal: %w", err)
	}
	return sealed, nil
}

// Open opens enc||ciphertext sealed to the session key with the given info.
// Any failure to authenticate (wrong session or slot, tampering, truncation)
// wraps ErrOpen.
func Open(key *SessionKey, info, sealed []byte) ([]byte, error) {
	if key == nil || key.priv == nil {
		return nil, fmt.Errorf("vault: open: no session key")
	}
	if len(sealed) < Overhead {
		return nil, fmt.Errorf("vault: open: %w: %d bytes is shorter than the %d-byte overhead", ErrOpen, len(sealed), Overhead)
	}
	pt, err := hpke.Open(key.priv, kdf(), aead(), info, sealed)
	if err != nil {
		return nil, fmt.Errorf("vault: open: %w: %w", ErrOpen, err)
	}
	return pt, nil
}
