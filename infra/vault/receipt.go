package vault

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
)

// receiptKeyInfo is the HKDF info of the seed of the receipt signing key of
// generation 0.
const receiptKeyInfo = "idv/v1 receipt-signing"

// signingKeyID names a signing public key of any purpose: the first 16 hex
// digits of the SHA-256 of its 32 bytes, so a verifier can tell which key
// (after a rotation) signed a receipt or a checkpoint.
func signingKeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:])[:16]
}

// SignReceipt signs a deletion receipt's statement (the exact bytes to keep)
// with the receipt signing key of the current generation and returns the
// signature and the key's id.
func (v *Vault) SignReceipt(ctx context.Context, statement []byte) (sig []byte, keyID string, err error) {
	return v.Sign(ctx, PurposeReceipt, statement)
}

// ReceiptPublicKey returns the public key that verifies the deletion
// receipts signed now (idv.VerifyReceipt) and its id.
func (v *Vault) ReceiptPublicKey(ctx context.Context) (pub ed25519.PublicKey, keyID string, err error) {
	return v.PublicKey(ctx, PurposeReceipt)
}
