package chip

import (
	"bytes"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestLoadTrustDir(t *testing.T) {
	t.Parallel()
	rsaDoc := buildDocument(t, docOptions{})
	ecDoc := buildDocument(t, docOptions{ec: true})
	ml, err := os.ReadFile(filepath.Join("testdata", "openssl", "brainpool", "masterlist.ml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("rsa.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rsaDoc.csca}))
	write("p256.cer", ecDoc.csca)
	write("icao.ml", ml)
	trust, err := LoadTrustDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if trust.Len() != 3 {
		t.Fatalf("%d CSCAs, want 3", trust.Len())
	}
	for _, d := range []*document{rsaDoc, ecDoc} {
		if r := NewVerifier(trust).Verify(d.input()); len(r.Reasons) != 0 {
			t.Errorf("reasons %v", r.Reasons)
		}
	}

	write("junk.pem", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	if _, err := LoadTrustDir(dir); !errors.Is(err, ErrMalformed) {
		t.Errorf("junk file: %v", err)
	}
	if _, err := LoadTrustDir(filepath.Join(dir, "absent")); err == nil {
		t.Error("missing directory accepted")
	}
}

func TestMasterListBuiltInGo(t *testing.T) {
	t.Parallel()
	d := buildDocument(t, docOptions{ec: true})
	other := buildDocument(t, docOptions{})
	content := der(t, struct {
		Version int
		Certs   []asn1.RawValue `asn1:"set"`
	}{0, []asn1.RawValue{{FullBytes: d.csca}, {FullBytes: []byte{0x30, 0x03, 0x02, 0x01, 0x00}}, {FullBytes: other.csca}}})
	// The Document Signer doubles as the master list signer.
	b := signedDataContentInfo(t, oidCSCAMasterList, content, d.ds, d.dsKey, false, false)
	ml, err := ParseMasterList(b)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range ml.CSCAs {
		names = append(names, c.Subject.CommonName)
	}
	if !slices.Equal(names, []string{"Test CSCA", "Test CSCA"}) || ml.Skipped != 1 {
		t.Errorf("CSCAs %v, %d skipped", names, ml.Skipped)
	}
	if err := ml.VerifySigner(d.trust, checkTime); err != nil {
		t.Errorf("VerifySigner: %v", err)
	}
	if err := ml.VerifySigner(other.trust, checkTime); err == nil {
		t.Error("signer accepted under another CSCA")
	}
	b[len(b)-1] ^= 1
	ml, err = ParseMasterList(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := ml.VerifySigner(d.trust, checkTime); !errors.Is(err, ErrSignature) {
		t.Errorf("altered signature: %v", err)
	}
	sod := buildDocument(t, docOptions{}).sod
	if _, err := ParseMasterList(sod[4:]); !errors.Is(err, ErrMalformed) {
		t.Errorf("an SOD as master list: %v", err)
	}
}

// A name outside PrintableString's alphabet, which encoding/asn1 refuses,
// leaves the certificate usable: matching compares raw DER.
func TestCertificateWithUndecodableName(t *testing.T) {
	t.Parallel()
	d := buildDocument(t, docOptions{ec: true})
	der := bytes.Replace(d.ds, []byte("Test DS"), []byte("Test@DS"), 1)
	c, err := ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Subject.Names) != 0 || c.Issuer.CommonName != "Test CSCA" {
		t.Errorf("subject %v issuer %v", c.Subject, c.Issuer)
	}
	if !c.mayHaveIssued(d.trust.cscas[0]) || c.checkSignatureFrom(d.trust.cscas[0]) == nil {
		t.Error("altered certificate: issuer must match by name, signature must fail")
	}
}
