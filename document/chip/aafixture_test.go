package chip

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
)

// aaFixtureDir holds a Go-built P-256 document with DG15 and its AA private
// key (a test key, made for this purpose only), for the document check's
// stage tests, which must sign the challenge the server drew for their
// session. IDV_UPDATE_FIXTURES=1 go test -run TestAAFixture ./document/chip
// rewrites it; otherwise the test checks the committed files still verify.
const aaFixtureDir = "testdata/go/aa-p256"

func TestAAFixture(t *testing.T) {
	if os.Getenv("IDV_UPDATE_FIXTURES") == "1" {
		writeAAFixture(t)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(aaFixtureDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	csca, err := ParseCertificate(read("csca.der"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(read("aa-key.pem"))
	key, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	challenge := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	in := Input{SOD: read("sod.bin"), DataGroups: map[int][]byte{1: read("dg1.bin"), 2: read("dg2.bin"), 15: read("dg15.bin")},
		MRZ: specimenMRZ, At: checkTime, AA: &ActiveAuthentication{Challenge: challenge, Signature: signECDSAPlain(t, key, challenge)}}
	if r := NewVerifier(NewTrustStore(csca)).Verify(in); !r.Passive || r.Active != ActivePassed || len(r.Reasons) != 0 {
		t.Fatalf("committed AA fixture: %+v", r)
	}
}

func writeAAFixture(t *testing.T) {
	d := buildDocument(t, docOptions{ec: true, aa: true})
	key := d.aaKey.(*ecdsa.PrivateKey)
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(aaFixtureDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"sod.bin": d.sod, "dg1.bin": d.dgs[1], "dg2.bin": d.dgs[2], "dg15.bin": d.dgs[15], "csca.der": d.csca,
		"aa-key.pem": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}),
	} {
		if err := os.WriteFile(filepath.Join(aaFixtureDir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
