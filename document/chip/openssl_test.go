package chip

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// opensslTime lies inside the openssl fixtures' validity (made 2026-11-25,
// valid 100 years).
var opensslTime = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// opensslDocument reads a document made by testdata/make-openssl-fixtures.sh.
func opensslDocument(t testing.TB, profile string) (Input, *TrustStore) {
	t.Helper()
	dir := filepath.Join("testdata", "openssl", profile)
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	block, _ := pem.Decode(read("csca.pem"))
	csca, err := ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return Input{
		SOD:        read("sod.bin"),
		DataGroups: map[int][]byte{1: read("dg1.bin"), 2: read("dg2.bin")},
		MRZ:        specimenMRZ,
		At:         opensslTime,
	}, NewTrustStore(csca)
}

func TestVerifyOpenSSLDocuments(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		profile, keyType, sigAlg string
	}{
		{"brainpool", "brainpoolP256r1", "ECDSA-SHA-256"},
		{"pss", "RSA-2048", "RSA-PSS-SHA-256"},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			t.Parallel()
			in, trust := opensslDocument(t, tc.profile)
			v := NewVerifier(trust)
			r := v.Verify(in)
			if len(r.Reasons) != 0 || !r.Passive {
				t.Fatalf("reasons %v details %v", r.Reasons, r.Details)
			}
			if r.KeyType != tc.keyType || r.SignatureAlgorithm != tc.sigAlg {
				t.Errorf("key %q signature %q", r.KeyType, r.SignatureAlgorithm)
			}
			if r.Portrait == nil || r.Portrait.Format != "jpeg" {
				t.Errorf("portrait %+v", r.Portrait)
			}

			tampered := in
			tampered.DataGroups = map[int][]byte{1: in.DataGroups[1], 2: slices.Clone(in.DataGroups[2])}
			tampered.DataGroups[2][40] ^= 1
			if r := v.Verify(tampered); !slices.Equal(r.Reasons, []Reason{ReasonHashMismatch}) {
				t.Errorf("tampered DG2: reasons %v", r.Reasons)
			}
			badSig := in
			badSig.SOD = slices.Clone(in.SOD)
			badSig.SOD[len(badSig.SOD)-1] ^= 1
			if r := v.Verify(badSig); !slices.Equal(r.Reasons, []Reason{ReasonSignatureInvalid}) {
				t.Errorf("altered signature: reasons %v", r.Reasons)
			}
			expired := in
			expired.At = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
			if r := v.Verify(expired); !slices.Equal(r.Reasons, []Reason{ReasonDSExpired, ReasonUntrustedCSCA}) {
				t.Errorf("after the validity: reasons %v", r.Reasons)
			}
		})
	}
}

// The reason this package parses certificates itself: Go's x509 refuses
// the brainpool Document Signer.
func TestStandardLibraryRefusesBrainpool(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("testdata", "openssl", "brainpool", "ds.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if _, err := x509.ParseCertificate(block.Bytes); err == nil {
		t.Skip("crypto/x509 now parses brainpool keys; the own parser could be reconsidered")
	}
	c, err := ParseCertificate(block.Bytes)
	if err != nil || c.KeyErr != nil {
		t.Fatalf("ParseCertificate: %v, key: %v", err, c.KeyErr)
	}
	if c.key.String() != "brainpoolP256r1" {
		t.Errorf("key %v", c.key)
	}
}

func TestMasterListFromOpenSSL(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("testdata", "openssl", "brainpool", "masterlist.ml"))
	if err != nil {
		t.Fatal(err)
	}
	ml, err := ParseMasterList(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ml.CSCAs) != 1 || ml.CSCAs[0].Subject.CommonName != "Test CSCA brainpool" {
		t.Fatalf("CSCAs %v", ml.CSCAs)
	}
	if err := ml.VerifySigner(NewTrustStore(ml.CSCAs...), opensslTime); err != nil {
		t.Errorf("VerifySigner: %v", err)
	}
	_, pssTrust := opensslDocument(t, "pss")
	if err := ml.VerifySigner(pssTrust, opensslTime); err == nil {
		t.Error("master list signer accepted under another CSCA")
	}
	in, _ := opensslDocument(t, "brainpool")
	if r := NewVerifier(NewTrustStore(ml.CSCAs...)).Verify(in); len(r.Reasons) != 0 {
		t.Errorf("document under the master list's CSCAs: %v", r.Reasons)
	}
}
