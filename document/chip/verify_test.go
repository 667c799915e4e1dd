package chip

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestVerifyValid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name           string
		opts           docOptions
		keyType, sigAl string
	}{
		{"RSA PKCS#1 v1.5", docOptions{}, "RSA-2048", "RSA-PKCS1v15-SHA-256"},
		{"ECDSA P-256", docOptions{ec: true}, "P-256", "ECDSA-SHA-256"},
		{"RSA without signed attributes", docOptions{noAttrs: true}, "RSA-2048", "RSA-PKCS1v15-SHA-256"},
		{"ECDSA without signed attributes", docOptions{ec: true, noAttrs: true}, "P-256", "ECDSA-SHA-256"},
		{"signer named by subject key identifier", docOptions{ec: true, skiSID: true}, "P-256", "ECDSA-SHA-256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := buildDocument(t, tc.opts)
			r := NewVerifier(d.trust).Verify(d.input())
			if len(r.Reasons) != 0 || !r.Passive {
				t.Fatalf("reasons %v passive %v details %v", r.Reasons, r.Passive, r.Details)
			}
			if r.KeyType != tc.keyType || r.SignatureAlgorithm != tc.sigAl || r.HashAlgorithm != "SHA-256" {
				t.Errorf("key %q signature %q hash %q", r.KeyType, r.SignatureAlgorithm, r.HashAlgorithm)
			}
			if !slices.Equal(r.DataGroups, []int{1, 2}) {
				t.Errorf("data groups %v", r.DataGroups)
			}
			if r.Portrait == nil || r.Portrait.Format != "jpeg" || !bytes.Equal(r.Portrait.Image, jpegBytes(t)) ||
				r.Portrait.Width != 8 || r.Portrait.Height != 8 {
				t.Errorf("portrait %+v", r.Portrait)
			}
			if r.Active != ActiveNotPerformed {
				t.Errorf("active %q", r.Active)
			}
			if r.CSCA == nil || r.CSCA.Subject.CommonName != "Test CSCA" || r.DocumentSigner.Subject.CommonName != "Test DS" {
				t.Errorf("certificates %v %v", r.CSCA, r.DocumentSigner)
			}
		})
	}
}

func TestVerifyFailures(t *testing.T) {
	t.Parallel()
	other := buildDocument(t, docOptions{ec: true}) // another CSCA
	for _, tc := range []struct {
		name        string
		opts        docOptions
		mutate      func(d *document, in *Input, v *Verifier)
		want        []Reason
		wantPassive bool
	}{
		{"tampered DG2", docOptions{}, func(d *document, in *Input, v *Verifier) {
			in.DataGroups[2][len(in.DataGroups[2])-3] ^= 1
		}, []Reason{ReasonHashMismatch}, false},
		{"tampered DG1", docOptions{ec: true}, func(d *document, in *Input, v *Verifier) {
			i := bytes.IndexByte(in.DataGroups[1], 'L')
			in.DataGroups[1][i] = 'M'
		}, []Reason{ReasonDG1MRZMismatch, ReasonHashMismatch}, false},
		{"data group the SOD does not list", docOptions{}, func(d *document, in *Input, v *Verifier) {
			in.DataGroups[3] = []byte{0x63, 0x00}
		}, []Reason{ReasonHashMismatch}, false},
		{"DG2 missing", docOptions{}, func(d *document, in *Input, v *Verifier) {
			delete(in.DataGroups, 2)
		}, []Reason{ReasonDGMissing}, false},
		{"DG1 missing", docOptions{ec: true}, func(d *document, in *Input, v *Verifier) {
			delete(in.DataGroups, 1)
		}, []Reason{ReasonDGMissing}, false},
		{"wrong RSA signature", docOptions{}, func(d *document, in *Input, v *Verifier) {
			in.SOD[len(in.SOD)-1] ^= 1
		}, []Reason{ReasonSignatureInvalid}, false},
		{"wrong ECDSA signature", docOptions{ec: true}, func(d *document, in *Input, v *Verifier) {
			in.SOD[len(in.SOD)-1] ^= 1
		}, []Reason{ReasonSignatureInvalid}, false},
		{"wrong signature without signed attributes", docOptions{noAttrs: true}, func(d *document, in *Input, v *Verifier) {
			in.SOD[len(in.SOD)-1] ^= 1
		}, []Reason{ReasonSignatureInvalid}, false},
		{"DG hash in the SOD altered", docOptions{}, func(d *document, in *Input, v *Verifier) {
			h := sha256.Sum256(d.dgs[1])
			i := bytes.Index(in.SOD, h[:])
			in.SOD[i] ^= 1 // message digest no longer matches, nor does DG1
		}, []Reason{ReasonHashMismatch, ReasonSignatureInvalid}, false},
		{"signer's key identifier names no certificate", docOptions{skiSID: true}, func(d *document, in *Input, v *Verifier) {
			i := bytes.LastIndex(in.SOD, []byte{0xD5, 1, 2, 3, 4, 5, 6, 7})
			in.SOD[i+7] ^= 1
		}, []Reason{ReasonSODMalformed}, false},
		{"expired DS", docOptions{dsNotAfter: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, nil,
			[]Reason{ReasonDSExpired}, false},
		{"DS not yet valid", docOptions{ec: true}, func(d *document, in *Input, v *Verifier) {
			in.At = validFrom.Add(-time.Hour)
		}, []Reason{ReasonDSExpired, ReasonUntrustedCSCA}, false},
		{"untrusted CSCA", docOptions{}, func(d *document, in *Input, v *Verifier) {
			v.Trust = other.trust
		}, []Reason{ReasonUntrustedCSCA}, false},
		{"CSCA with the same name but another key", docOptions{ec: true}, func(d *document, in *Input, v *Verifier) {
			v.Trust = buildDocument(t, docOptions{}).trust
		}, []Reason{ReasonUntrustedCSCA}, false},
		{"empty trust store", docOptions{}, func(d *document, in *Input, v *Verifier) {
			v.Trust = NewTrustStore()
		}, []Reason{ReasonUntrustedCSCA}, false},
		{"no trust store", docOptions{}, func(d *document, in *Input, v *Verifier) {
			v.Trust = nil
		}, []Reason{ReasonUntrustedCSCA}, false},
		{"DG1 differs from the optical MRZ", docOptions{}, func(d *document, in *Input, v *Verifier) {
			in.MRZ = strings.Replace(specimenMRZ, "WILLEKE", "WILLEM<", 1)
		}, []Reason{ReasonDG1MRZMismatch}, true},
		{"no optical MRZ", docOptions{}, func(d *document, in *Input, v *Verifier) {
			in.MRZ = ""
		}, []Reason{ReasonDG1MRZMismatch}, true},
		{"optical MRZ with CRLF and blanks", docOptions{}, func(d *document, in *Input, v *Verifier) {
			in.MRZ = "  " + strings.ReplaceAll(specimenMRZ, "\n", "\r\n") + "\r\n"
		}, nil, true},
		{"JPEG 2000 portrait", docOptions{jp2: true}, nil, []Reason{ReasonPortraitUnsupported}, true},
		{"empty SOD", docOptions{}, func(d *document, in *Input, v *Verifier) {
			in.SOD = nil
		}, []Reason{ReasonSODMalformed}, false},
		{"truncated SOD", docOptions{}, func(d *document, in *Input, v *Verifier) {
			in.SOD = in.SOD[:len(in.SOD)/2]
		}, []Reason{ReasonSODMalformed}, false},
		{"SOD without the 0x77 tag", docOptions{}, func(d *document, in *Input, v *Verifier) {
			in.SOD[0] = 0x30
		}, []Reason{ReasonSODMalformed}, false},
		{"oversized SOD", docOptions{}, func(d *document, in *Input, v *Verifier) {
			in.SOD = make([]byte, MaxSODBytes+1)
		}, []Reason{ReasonSODMalformed}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := buildDocument(t, tc.opts)
			in, v := d.input(), NewVerifier(d.trust)
			if tc.mutate != nil {
				tc.mutate(d, &in, v)
			}
			r := v.Verify(in)
			if !slices.Equal(r.Reasons, tc.want) {
				t.Fatalf("reasons %v, want %v; details %v", r.Reasons, tc.want, r.Details)
			}
			if r.Passive != tc.wantPassive {
				t.Errorf("passive %v, want %v", r.Passive, tc.wantPassive)
			}
			if len(r.Details) < len(r.Reasons) {
				t.Errorf("details %v for reasons %v", r.Details, r.Reasons)
			}
			if !slices.Contains(r.DataGroups, 2) && r.Portrait != nil {
				t.Error("portrait returned from an unverified DG2")
			}
		})
	}
}

func TestActiveAuthentication(t *testing.T) {
	t.Parallel()
	challenge := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	rsaAnswer := func(h crypto.Hash) func(d *document) []byte {
		return func(d *document) []byte { return signISO9796(t, d.aaKey.(*rsa.PrivateKey), h, challenge) }
	}
	ecAnswer := func(d *document) []byte { return signECDSAPlain(t, d.aaKey.(*ecdsa.PrivateKey), challenge) }
	for _, tc := range []struct {
		name      string
		opts      docOptions
		answer    func(d *document) []byte
		mutate    func(in *Input)
		want      []Reason
		wantState ActiveStatus
	}{
		{"RSA ISO 9796-2 SHA-1", docOptions{aa: true}, rsaAnswer(crypto.SHA1), nil, nil, ActivePassed},
		{"RSA ISO 9796-2 SHA-256", docOptions{aa: true}, rsaAnswer(crypto.SHA256), nil, nil, ActivePassed},
		{"RSA ISO 9796-2 SHA-512", docOptions{aa: true}, rsaAnswer(crypto.SHA512), nil, nil, ActivePassed},
		{"RSA ISO 9796-2 answered as n−s", docOptions{aa: true}, func(d *document) []byte {
			k := d.aaKey.(*rsa.PrivateKey)
			s := new(big.Int).SetBytes(signISO9796(t, k, crypto.SHA256, challenge))
			return s.Sub(k.N, s).FillBytes(make([]byte, k.Size()))
		}, nil, nil, ActivePassed},
		{"ECDSA plain, hash by key size", docOptions{ec: true, aa: true}, ecAnswer, nil, nil, ActivePassed},
		{"ECDSA plain, hash from DG14", docOptions{ec: true, aa: true, dg14: true}, ecAnswer, nil, nil, ActivePassed},
		{"RSA wrong challenge", docOptions{aa: true}, rsaAnswer(crypto.SHA1), func(in *Input) {
			in.AA.Challenge = []byte{1, 2, 3, 4, 5, 6, 7, 9}
		}, []Reason{ReasonAAFailed}, ActiveFailed},
		{"ECDSA wrong challenge", docOptions{ec: true, aa: true}, ecAnswer, func(in *Input) {
			in.AA.Challenge = []byte{8, 7, 6, 5, 4, 3, 2, 1}
		}, []Reason{ReasonAAFailed}, ActiveFailed},
		{"RSA signature altered", docOptions{aa: true}, rsaAnswer(crypto.SHA256), func(in *Input) {
			in.AA.Signature[10] ^= 1
		}, []Reason{ReasonAAFailed}, ActiveFailed},
		{"no challenge", docOptions{aa: true}, rsaAnswer(crypto.SHA1), func(in *Input) {
			in.AA.Challenge = nil
		}, []Reason{ReasonAANoChallenge}, ActiveFailed},
		{"no DG15", docOptions{aa: true}, rsaAnswer(crypto.SHA1), func(in *Input) {
			delete(in.DataGroups, 15)
		}, []Reason{ReasonAAFailed}, ActiveFailed},
		{"DG15 replaced by another key", docOptions{ec: true, aa: true}, ecAnswer, func(in *Input) {
			in.DataGroups[15][len(in.DataGroups[15])-1] ^= 1
		}, []Reason{ReasonAAFailed, ReasonHashMismatch}, ActiveFailed},
		{"not performed", docOptions{aa: true}, nil, nil, nil, ActiveNotPerformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := buildDocument(t, tc.opts)
			in := d.input()
			if tc.answer != nil {
				in.AA = &ActiveAuthentication{Challenge: bytes.Clone(challenge), Signature: tc.answer(d)}
			}
			if tc.mutate != nil {
				tc.mutate(&in)
			}
			r := NewVerifier(d.trust).Verify(in)
			if !slices.Equal(r.Reasons, tc.want) || r.Active != tc.wantState {
				t.Fatalf("reasons %v active %q, want %v %q; details %v", r.Reasons, r.Active, tc.want, tc.wantState, r.Details)
			}
		})
	}
}
