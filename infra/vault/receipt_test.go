package vault

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"testing"

	"github.com/idv-oss/idv"
)

func TestReceiptSignatureVerifies(t *testing.T) {
	t.Parallel()
	master := testMasterKey(t)
	// Signing needs no key store: the key is derived from the master key.
	v := New(master, nil)
	statement := []byte(`{"receipt_id":"6f1c9a52-8a1e-4a8e-9d0f-0c1b2a3d4e5f"}`)
	sig, keyID := mustSign(t, v, statement)
	pub, pubID := mustReceiptKey(t, v)
	if keyID != pubID {
		t.Fatalf("signed under key %s, public key is %s", keyID, pubID)
	}
	if len(keyID) != 16 {
		t.Fatalf("key id %q: want 16 hex digits", keyID)
	}
	if _, err := hex.DecodeString(keyID); err != nil {
		t.Fatalf("key id %q: %v", keyID, err)
	}
	if !idv.VerifyReceipt(pub, statement, sig) {
		t.Fatal("signature does not verify with the receipt public key")
	}
	altered := bytes.Replace(statement, []byte("6f1c"), []byte("7f1c"), 1)
	if idv.VerifyReceipt(pub, altered, sig) {
		t.Fatal("signature verifies over altered bytes")
	}

	// The same master key gives the same key in another process.
	pub2, id2 := mustReceiptKey(t, New(master, nil))
	if !bytes.Equal(pub, pub2) || id2 != keyID {
		t.Fatal("receipt key differs between two vaults with one master key")
	}
	// Another master key gives another key, which does not verify.
	other, otherID := mustReceiptKey(t, New(testMasterKey(t), nil))
	if otherID == keyID || idv.VerifyReceipt(other, statement, sig) {
		t.Fatal("another master key's receipt key verifies this signature")
	}
	// Handing out the public key leaks nothing that signs: changing the
	// returned slice does not change the vault's key.
	clear(pub)
	if again, _ := mustReceiptKey(t, v); bytes.Equal(again, pub) {
		t.Fatal("ReceiptPublicKey returned the vault's own memory")
	}
}

// The derivation is pinned: a changed HKDF info string or seed length would
// make every receipt signed so far unverifiable with the published key.
func TestReceiptKeyDerivationIsPinned(t *testing.T) {
	t.Parallel()
	master, err := ParseMasterKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	if err != nil {
		t.Fatal(err)
	}
	pub, keyID := mustReceiptKey(t, New(master, nil))
	if got := hex.EncodeToString(pub); got != wantReceiptPub {
		t.Errorf("receipt public key %s, want %s", got, wantReceiptPub)
	}
	if keyID != wantReceiptKeyID {
		t.Errorf("receipt key id %s, want %s", keyID, wantReceiptKeyID)
	}
	if len(pub) != ed25519.PublicKeySize {
		t.Errorf("public key of %d bytes", len(pub))
	}
}

// Computed independently of this package, with Python's cryptography
// (HKDF-SHA256, no salt, info "idv/v1 receipt-signing", 32 bytes, as the
// Ed25519 seed) from the master key bytes 0x00…0x1f.
const (
	wantReceiptPub   = "ced26ca36ed96e76976619f4a0238af48167281bbdb576947660cd830679ecd7"
	wantReceiptKeyID = "007f4de0aec39be2"
)

// mustSign signs statement as a receipt with v.
func mustSign(t *testing.T, v *Vault, statement []byte) ([]byte, string) {
	t.Helper()
	sig, keyID, err := v.SignReceipt(t.Context(), statement)
	if err != nil {
		t.Fatal(err)
	}
	return sig, keyID
}

// mustReceiptKey is v's current receipt public key and its id.
func mustReceiptKey(t *testing.T, v *Vault) (ed25519.PublicKey, string) {
	t.Helper()
	pub, keyID, err := v.ReceiptPublicKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return pub, keyID
}
