package idv

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/idv-oss/idv/schemas"
)

// Receipts read back and verified: a deletion or offboarding receipt is
// IDV's Ed25519 signature over the exact bytes of its statement (the
// statement's shape is schemas').

// ParseOffboardingReceipt reads a signed statement back, refusing unknown
// fields.
func ParseOffboardingReceipt(statement []byte) (schemas.OffboardingReceipt, error) {
	var r schemas.OffboardingReceipt
	if _, err := decodeStatement("offboarding receipt", statement, &r); err != nil {
		return schemas.OffboardingReceipt{}, err
	}
	return r, nil
}

// ParseReceipt reads a signed statement back. It refuses unknown fields, so
// a statement parses only if it is a receipt of this version.
func ParseReceipt(statement []byte) (schemas.DeletionReceipt, error) {
	var r schemas.DeletionReceipt
	dec, err := decodeStatement("deletion receipt", statement, &r)
	if err != nil {
		return schemas.DeletionReceipt{}, err
	}
	if dec.More() {
		return schemas.DeletionReceipt{}, errors.New("deletion receipt: decode: data after the receipt")
	}
	if err := r.Validate(); err != nil {
		return schemas.DeletionReceipt{}, err
	}
	return r, nil
}

// ParseAddendum reads a signed deletion addendum back, refusing unknown
// fields and data after it.
func ParseAddendum(statement []byte) (schemas.DeletionAddendum, error) {
	var a schemas.DeletionAddendum
	dec, err := decodeStatement("deletion addendum", statement, &a)
	if err != nil {
		return schemas.DeletionAddendum{}, err
	}
	if dec.More() {
		return schemas.DeletionAddendum{}, errors.New("deletion addendum: decode: data after the addendum")
	}
	if err := a.Validate(); err != nil {
		return schemas.DeletionAddendum{}, err
	}
	return a, nil
}

// decodeStatement decodes a signed statement into v, refusing unknown
// fields, and returns the decoder, for a caller that also refuses data after
// the statement.
func decodeStatement(what string, statement []byte, v any) (*json.Decoder, error) {
	dec := json.NewDecoder(bytes.NewReader(statement))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, fmt.Errorf("%s: decode: %w", what, err)
	}
	return dec, nil
}

// VerifyReceipt reports whether sig is IDV's Ed25519 signature of the exact
// statement bytes under pub. A key or signature of the wrong size is false,
// never a panic.
func VerifyReceipt(pub ed25519.PublicKey, statement, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(pub, statement, sig)
}

// VerifyKey is a public key that verifies deletion receipts: the current
// signing key, or one that signed before a rotation. KeyID is what a
// receipt names.
type VerifyKey struct {
	KeyID     string
	PublicKey []byte // raw Ed25519
	Current   bool
}
