package chip

import (
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
)

// Active authentication with brainpool DG15 keys and signatures made by
// openssl (testdata/openssl/aa): an independent check of the brainpool
// arithmetic on all three curves, explicit parameters on P384r1.
func TestActiveAuthenticationBrainpoolOpenSSL(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "openssl", "aa")
	challenge, err := os.ReadFile(filepath.Join(dir, "challenge.bin"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dg15, err := os.ReadFile(filepath.Join(dir, name+".dg15"))
			if err != nil {
				t.Fatal(err)
			}
			sig, err := os.ReadFile(filepath.Join(dir, name+".sig"))
			if err != nil {
				t.Fatal(err)
			}
			key, err := parseDG15(dg15)
			if err != nil {
				t.Fatal(err)
			}
			if key.String() != name {
				t.Fatalf("key on %v", key)
			}
			var rs struct{ R, S *big.Int }
			if _, err := asn1.Unmarshal(sig, &rs); err != nil {
				t.Fatal(err)
			}
			n := key.ec.curve.orderByteLen
			plain := make([]byte, 2*n)
			rs.R.FillBytes(plain[:n])
			rs.S.FillBytes(plain[n:])
			for form, s := range map[string][]byte{"DER": sig, "plain": plain} {
				if err := verifyActive(key, 0, ActiveAuthentication{Challenge: challenge, Signature: s}); err != nil {
					t.Errorf("%s signature: %v", form, err)
				}
				wrong := append([]byte{0}, challenge[1:]...)
				if err := verifyActive(key, 0, ActiveAuthentication{Challenge: wrong, Signature: s}); !errors.Is(err, ErrSignature) {
					t.Errorf("%s signature over another challenge: %v", form, err)
				}
			}
		})
	}
}

// A tiny RSA modulus is refused before the ISO 9796-2 layout is read (it
// has no room for it).
func TestActiveAuthenticationSmallRSAKey(t *testing.T) {
	t.Parallel()
	key := publicKey{rsa: &rsa.PublicKey{N: big.NewInt(205), E: 3}}
	if err := verifyActive(key, 0, ActiveAuthentication{Challenge: []byte{1}, Signature: []byte{0x33}}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("error %v", err)
	}
}
