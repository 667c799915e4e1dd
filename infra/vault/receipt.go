package vault

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
)

// receiptKeyInfo is the HKDF info of the seed of the receipt signing key.
const receiptKeyInfo = "idv/v1 receipt-signing"

// receiptKey derives the Ed25519 key that signs deletion receipts from the
// master key (HKDF-SHA256). Derived rather than stored: receipts must stay
// verifiable for as long as the master key lives, and the key is the same in
// every process without any key store row. It signs only; it opens nothing,
// so it outliving epoch keys weakens no deletion.
func (m *MasterKey) receiptKey() ed25519.PrivateKey {
	seed, err := hkdf.Key(sha256.New, m[:], nil, receiptKeyInfo, ed25519.SeedSize)
	if err != nil {
		// HKDF-SHA256 fails only for outputs over 8160 bytes or, in FIPS
		// mode, keys under 112 bits; 32 bytes from a 256-bit key is neither.
		panic("vault: derive receipt signing key: " + err.Error())
	}
	defer clear(seed)
	return ed25519.NewKeyFromSeed(seed)
}

// receiptKeyID names a receipt public key: the first 16 hex digits of the
// SHA-256 of its 32 bytes, so a verifier can tell which key (after a master
// key rotation) signed a receipt.
func receiptKeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:])[:16]
}

// SignReceipt signs a deletion receipt's statement (the exact bytes to keep)
// with the receipt signing key and returns the signature and the key's id.
func (v *Vault) SignReceipt(statement []byte) (sig []byte, keyID string) {
	priv := v.master.receiptKey()
	defer clear(priv)
	return ed25519.Sign(priv, statement), receiptKeyID(priv.Public().(ed25519.PublicKey))
}

// ReceiptPublicKey returns the public key that verifies deletion receipts
// (idv.VerifyReceipt) and its id.
func (v *Vault) ReceiptPublicKey() (pub ed25519.PublicKey, keyID string) {
	priv := v.master.receiptKey()
	defer clear(priv)
	pub = priv.Public().(ed25519.PublicKey) // a copy: clearing priv leaves it
	return pub, receiptKeyID(pub)
}
