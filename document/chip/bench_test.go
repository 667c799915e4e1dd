package chip

import (
	"testing"
)

// benchDocuments are the documents the benchmarks verify: built in Go (RSA
// PKCS#1 v1.5 2048, ECDSA P-256) and by openssl (brainpoolP256r1 with
// explicit parameters, RSA-PSS 2048).
func benchDocuments(b *testing.B) []struct {
	name  string
	in    Input
	trust *TrustStore
} {
	rsaDoc := buildDocument(b, docOptions{})
	ecDoc := buildDocument(b, docOptions{ec: true})
	bpIn, bpTrust := opensslDocument(b, "brainpool")
	pssIn, pssTrust := opensslDocument(b, "pss")
	return []struct {
		name  string
		in    Input
		trust *TrustStore
	}{
		{"RSA-2048", rsaDoc.input(), rsaDoc.trust},
		{"P-256", ecDoc.input(), ecDoc.trust},
		{"brainpoolP256r1", bpIn, bpTrust},
		{"RSA-PSS-2048", pssIn, pssTrust},
	}
}

func BenchmarkParseSOD(b *testing.B) {
	for _, d := range benchDocuments(b) {
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(int64(len(d.in.SOD)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseSOD(d.in.SOD); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPassiveAuthentication is the whole Verify: SOD parse, data group
// hashes, signed attributes, the DS signature, the DS → CSCA signature, DG1
// and the portrait.
func BenchmarkPassiveAuthentication(b *testing.B) {
	for _, d := range benchDocuments(b) {
		b.Run(d.name, func(b *testing.B) {
			v := NewVerifier(d.trust)
			b.ReportAllocs()
			for b.Loop() {
				if r := v.Verify(d.in); len(r.Reasons) != 0 {
					b.Fatal(r.Reasons)
				}
			}
		})
	}
}
