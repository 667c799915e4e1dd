package chip

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
)

// The generic arithmetic must agree with crypto/ecdsa on the NIST curves,
// whose a = −3 is a special case of it.
func TestGenericECDSAMatchesStandardLibrary(t *testing.T) {
	t.Parallel()
	for _, c := range knownCurves[:3] {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			k, err := ecdsa.GenerateKey(c.nist, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			digest := sha256.Sum256([]byte("challenge"))
			r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
			if err != nil {
				t.Fatal(err)
			}
			pub, err := k.PublicKey.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			x, y, ok := c.decodePoint(pub)
			if !ok {
				t.Fatal("public point refused")
			}
			if !c.verifyECDSA(x, y, digest[:], r, s) {
				t.Fatal("valid signature refused")
			}
			other := sha256.Sum256([]byte("other"))
			if c.verifyECDSA(x, y, other[:], r, s) {
				t.Fatal("signature over another digest accepted")
			}
			if c.verifyECDSA(x, y, digest[:], s, r) {
				t.Fatal("swapped r and s accepted")
			}
		})
	}
}

func TestCurveParameters(t *testing.T) {
	t.Parallel()
	for _, c := range knownCurves {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if !c.onCurve(c.gx, c.gy) {
				t.Fatal("base point not on the curve")
			}
			if !c.p.ProbablyPrime(20) || !c.n.ProbablyPrime(20) {
				t.Fatal("p or n not prime")
			}
			// n·G is the point at infinity; (n−1)·G is −G.
			if q := c.combinedMult(c.n, new(big.Int), c.gx, c.gy); q.z.Sign() != 0 {
				t.Fatal("n·G is not the point at infinity")
			}
			q := c.combinedMult(new(big.Int).Sub(c.n, big.NewInt(1)), new(big.Int), c.gx, c.gy)
			if x := c.affineX(q); x == nil || x.Cmp(c.gx) != 0 {
				t.Fatal("(n−1)·G is not −G")
			}
			// u1·G + u2·G = (u1+u2)·G exercises addition of distinct points.
			u1, u2 := big.NewInt(12345), big.NewInt(67890)
			sum := c.combinedMult(new(big.Int).Add(u1, u2), new(big.Int), c.gx, c.gy)
			if a, b := c.affineX(c.combinedMult(u1, u2, c.gx, c.gy)), c.affineX(sum); a.Cmp(b) != 0 {
				t.Fatal("u1·G + u2·G differs from (u1+u2)·G")
			}
		})
	}
}

func TestDecodePoint(t *testing.T) {
	t.Parallel()
	c := curveByOID(knownCurves[0].oid)
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := k.PublicKey.Bytes()
	x, y, ok := c.decodePoint(pub)
	if !ok {
		t.Fatal("uncompressed point refused")
	}
	compressed := append([]byte{2 + byte(y.Bit(0))}, pub[1:33]...)
	cx, cy, ok := c.decodePoint(compressed)
	if !ok || cx.Cmp(x) != 0 || cy.Cmp(y) != 0 {
		t.Fatal("compressed point decoded differently")
	}
	for name, b := range map[string][]byte{
		"empty":          nil,
		"infinity":       {0},
		"off the curve":  append(append([]byte{4}, pub[1:64]...), pub[64]^1),
		"x beyond p":     append([]byte{2}, make([]byte, 32)...),
		"wrong length":   pub[:40],
		"unknown prefix": append([]byte{5}, pub[1:]...),
	} {
		if name == "x beyond p" {
			c.p.FillBytes(b[1:])
		}
		if _, _, ok := c.decodePoint(b); ok {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A key with explicit parameters equal to a NIST curve's is that curve;
// parameters of no known curve are refused.
func TestExplicitParameters(t *testing.T) {
	t.Parallel()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	point, _ := k.PublicKey.Bytes()
	spki := func(b *big.Int) []byte {
		ps := elliptic.P256().Params()
		a := new(big.Int).Sub(ps.P, big.NewInt(3))
		type fieldID struct {
			Type  asn1.ObjectIdentifier
			Prime *big.Int
		}
		type curveAB struct{ A, B []byte }
		params := der(t, struct {
			Version  int
			Field    fieldID
			Curve    curveAB
			Base     []byte
			Order    *big.Int
			Cofactor int
		}{1, fieldID{oidPrimeField, ps.P}, curveAB{a.FillBytes(make([]byte, 32)), b.FillBytes(make([]byte, 32))},
			elliptic.Marshal(elliptic.P256(), ps.Gx, ps.Gy), ps.N, 1})
		return der(t, struct {
			Alg algorithmIdentifier
			Key asn1.BitString
		}{algorithmIdentifier{oidECPublicKey, asn1.RawValue{FullBytes: params}}, asn1.BitString{Bytes: point, BitLength: 8 * len(point)}})
	}
	key, err := parsePublicKey(spki(elliptic.P256().Params().B))
	if err != nil || key.ec == nil || key.ec.curve.name != "P-256" || key.ec.nist == nil {
		t.Fatalf("explicit P-256: %v, %v", key, err)
	}
	digest := sha256.Sum256([]byte("m"))
	sig, err := ecdsa.SignASN1(rand.Reader, k, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyDigest(key, signatureAlgorithm{scheme: schemeECDSA, hash: crypto.SHA256}, digest[:], sig); err != nil {
		t.Errorf("verify: %v", err)
	}
	if _, err := parsePublicKey(spki(big.NewInt(7))); !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown curve: %v", err)
	}
}
