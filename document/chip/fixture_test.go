package chip

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"image"
	"image/jpeg"
	"math/big"
	"sync"
	"testing"
	"time"
)

// Test documents are built here at test time: keys, a CSCA, a Document
// Signer, data groups and an EF.SOD made with encoding/asn1, independently
// of the parser. The brainpool and RSA-PSS documents come from openssl
// instead (testdata/make-openssl-fixtures.sh).

// specimenMRZ is the TD1 MRZ of a Dutch specimen identity card, as the
// doccheck tests use it; the openssl documents' DG1 holds it too.
const specimenMRZ = "I<NLDSPECI20142<<<<<<<<<<<<<<<\n6503101F3401011NLD<<<<<<<<<<<8\nDE<BRUIJN<<WILLEKE<LISELOTTE<<"

var (
	checkTime = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	validFrom = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	validTo   = time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Keys are slow to make, so each kind is made once per test binary.
var (
	rsaKeys = sync.OnceValue(func() []*rsa.PrivateKey {
		var ks []*rsa.PrivateKey
		for _, bits := range []int{2048, 2048, 1024} { // CSCA, DS, AA
			k, err := rsa.GenerateKey(rand.Reader, bits)
			if err != nil {
				panic(err)
			}
			ks = append(ks, k)
		}
		return ks
	})
	ecKeys = sync.OnceValue(func() []*ecdsa.PrivateKey {
		var ks []*ecdsa.PrivateKey
		for range 3 { // CSCA, DS, AA
			k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				panic(err)
			}
			ks = append(ks, k)
		}
		return ks
	})
)

// docOptions vary a built document.
type docOptions struct {
	ec         bool      // P-256 keys instead of RSA
	dsNotAfter time.Time // zero: validTo
	aa         bool      // add DG15 with the AA key
	dg14       bool      // add DG14 naming ecdsa-plain-SHA256
	jp2        bool      // DG2 portrait as JPEG 2000
	noAttrs    bool      // SignerInfo without signed attributes
	skiSID     bool      // SignerInfo names the DS by subject key identifier
}

// document is a built chip with what verifying it needs.
type document struct {
	dgs   map[int][]byte
	sod   []byte
	trust *TrustStore
	csca  []byte // DER
	ds    []byte // DER
	aaKey crypto.Signer
	dsKey crypto.Signer
}

func (d *document) input() Input {
	dgs := map[int][]byte{}
	for n, b := range d.dgs {
		dgs[n] = bytes.Clone(b)
	}
	return Input{SOD: bytes.Clone(d.sod), DataGroups: dgs, MRZ: specimenMRZ, At: checkTime}
}

func buildDocument(t testing.TB, o docOptions) *document {
	t.Helper()
	var cscaKey, dsKey, aaKey crypto.Signer
	if o.ec {
		ks := ecKeys()
		cscaKey, dsKey, aaKey = ks[0], ks[1], ks[2]
	} else {
		ks := rsaKeys()
		cscaKey, dsKey, aaKey = ks[0], ks[1], ks[2]
	}
	cscaTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{Country: []string{"UT"}, CommonName: "Test CSCA"},
		NotBefore: validFrom, NotAfter: validTo.AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign,
	}
	csca, err := x509.CreateCertificate(rand.Reader, cscaTmpl, cscaTmpl, cscaKey.Public(), cscaKey)
	if err != nil {
		t.Fatal(err)
	}
	notAfter := o.dsNotAfter
	if notAfter.IsZero() {
		notAfter = validTo
	}
	dsTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{Country: []string{"UT"}, CommonName: "Test DS"},
		NotBefore: validFrom, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature,
		SubjectKeyId: []byte{0xD5, 1, 2, 3, 4, 5, 6, 7},
	}
	cscaCert, err := x509.ParseCertificate(csca)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := x509.CreateCertificate(rand.Reader, dsTmpl, cscaCert, dsKey.Public(), cscaKey)
	if err != nil {
		t.Fatal(err)
	}
	d := &document{csca: csca, ds: ds, aaKey: aaKey, dsKey: dsKey, dgs: map[int][]byte{
		1: dg1(joinMRZ(specimenMRZ)),
		2: dg2(t, o.jp2),
	}}
	if o.aa {
		spki, err := x509.MarshalPKIXPublicKey(aaKey.Public())
		if err != nil {
			t.Fatal(err)
		}
		d.dgs[15] = berTLV(0x6F, spki)
	}
	if o.dg14 {
		info := der(t, struct {
			Proto   asn1.ObjectIdentifier
			Version int
			Alg     asn1.ObjectIdentifier
		}{oidActiveAuthentication, 1, asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 3}})
		d.dgs[14] = berTLV(0x6E, raw(t, 0, asn1.TagSet, true, info))
	}
	d.sod = raw(t, asn1.ClassApplication, 23, true,
		signedDataContentInfo(t, oidLDSSecurityObject, ldsSecurityObject(t, d.dgs), ds, dsKey, o.noAttrs, o.skiSID))
	parsed, err := ParseCertificate(csca)
	if err != nil {
		t.Fatal(err)
	}
	d.trust = NewTrustStore(parsed)
	return d
}

// joinMRZ joins MRZ lines as DG1 stores them.
func joinMRZ(mrz string) string { return string(bytes.ReplaceAll([]byte(mrz), []byte("\n"), nil)) }

func dg1(mrz string) []byte { return berTLV(0x61, berTLV(0x5F1F, []byte(mrz))) }

// dg2 wraps a tiny portrait in an ISO 19794-5 facial record inside DG2's
// biometric templates.
func dg2(t testing.TB, jp2 bool) []byte {
	img := jpegBytes(t)
	if jp2 {
		img = append(bytes.Clone(jp2Magic), 0x00, 0x00, 0x00, 0x14, 'f', 't', 'y', 'p')
	}
	return EncodeDG2(img, jp2)
}

func jpegBytes(t testing.TB) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// berTLV encodes a tag of one to three bytes and a definite length.
func berTLV(tag uint32, value []byte) []byte { return encodeTLV(tag, value) }

func der(t testing.TB, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// raw encodes an element whose contents are the concatenated parts.
func raw(t testing.TB, class, tag int, compound bool, parts ...[]byte) []byte {
	return der(t, asn1.RawValue{Class: class, Tag: tag, IsCompound: compound, Bytes: bytes.Join(parts, nil)})
}

var sha256Alg = pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}}

func ldsSecurityObject(t testing.TB, dgs map[int][]byte) []byte {
	type dgHash struct {
		Number int
		Hash   []byte
	}
	var hashes []dgHash
	for n := 1; n <= 16; n++ {
		if b, ok := dgs[n]; ok {
			h := crypto.SHA256.New()
			h.Write(b)
			hashes = append(hashes, dgHash{n, h.Sum(nil)})
		}
	}
	return der(t, struct {
		Version int
		Alg     pkix.AlgorithmIdentifier
		Hashes  []dgHash
	}{0, sha256Alg, hashes})
}

// signedDataContentInfo builds CMS SignedData (RFC 5652) signed by key with
// SHA-256, with signed attributes unless noAttrs.
func signedDataContentInfo(t testing.TB, contentType asn1.ObjectIdentifier, content, signerCert []byte, key crypto.Signer, noAttrs, skiSID bool) []byte {
	t.Helper()
	cert, err := x509.ParseCertificate(signerCert)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(content)
	attrs := raw(t, 0, asn1.TagSet, true,
		der(t, struct {
			Type  asn1.ObjectIdentifier
			Value []asn1.ObjectIdentifier `asn1:"set"`
		}{oidContentType, []asn1.ObjectIdentifier{contentType}}),
		der(t, struct {
			Type  asn1.ObjectIdentifier
			Value [][]byte `asn1:"set"`
		}{oidMessageDigest, [][]byte{digest[:]}}))
	signed := attrs
	if noAttrs {
		signed = content
	}
	sig := sign(t, key, signed)
	sigAlg := pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, Parameters: asn1.NullRawValue}
	if _, ok := key.(*ecdsa.PrivateKey); ok {
		sigAlg = pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}}
	}
	sid := raw(t, 0, asn1.TagSequence, true, cert.RawIssuer, der(t, cert.SerialNumber))
	if skiSID {
		sid = raw(t, asn1.ClassContextSpecific, 0, false, cert.SubjectKeyId)
	}
	signerInfo := [][]byte{der(t, 1), sid, der(t, sha256Alg)}
	if !noAttrs {
		implicit := bytes.Clone(attrs)
		implicit[0] = 0xA0
		signerInfo = append(signerInfo, implicit)
	}
	signerInfo = append(signerInfo, der(t, sigAlg), der(t, sig))
	sd := raw(t, 0, asn1.TagSequence, true,
		der(t, 3),
		raw(t, 0, asn1.TagSet, true, der(t, sha256Alg)),
		raw(t, 0, asn1.TagSequence, true, der(t, contentType), raw(t, asn1.ClassContextSpecific, 0, true, der(t, content))),
		raw(t, asn1.ClassContextSpecific, 0, true, signerCert),
		raw(t, 0, asn1.TagSet, true, raw(t, 0, asn1.TagSequence, true, signerInfo...)),
	)
	return raw(t, 0, asn1.TagSequence, true, der(t, oidSignedData), raw(t, asn1.ClassContextSpecific, 0, true, sd))
}

func sign(t testing.TB, key crypto.Signer, msg []byte) []byte {
	digest := sha256.Sum256(msg)
	sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// signISO9796 makes an ISO 9796-2 scheme 1 active authentication answer
// with partial recovery: 0x6A ‖ M1 ‖ H(M1 ‖ challenge) ‖ trailer.
func signISO9796(t testing.TB, key *rsa.PrivateKey, h crypto.Hash, challenge []byte) []byte {
	k := key.Size()
	trailer := []byte{0xBC}
	if h != crypto.SHA1 {
		id := map[crypto.Hash]byte{crypto.SHA256: 0x34, crypto.SHA384: 0x36, crypto.SHA512: 0x35}[h]
		trailer = []byte{id, 0xCC}
	}
	m1 := make([]byte, k-1-h.Size()-len(trailer))
	rand.Read(m1)
	d := h.New()
	d.Write(m1)
	d.Write(challenge)
	msg := append(append(append([]byte{0x6A}, m1...), d.Sum(nil)...), trailer...)
	s := new(big.Int).Exp(new(big.Int).SetBytes(msg), key.D, key.N)
	return s.FillBytes(make([]byte, k))
}

// signECDSAPlain makes a plain r‖s answer over SHA-256(challenge).
func signECDSAPlain(t testing.TB, key *ecdsa.PrivateKey, challenge []byte) []byte {
	out, err := AnswerECDSA(key, challenge)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
