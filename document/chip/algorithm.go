package chip

import (
	"crypto"
	_ "crypto/sha1" // hashes named by the LDS and CMS algorithm identifiers
	_ "crypto/sha256"
	_ "crypto/sha512"
	"encoding/asn1"
	"fmt"
)

// Digest algorithm OIDs (RFC 5754, RFC 3279).
var hashOIDs = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
}{
	{asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, crypto.SHA1},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}, crypto.SHA224},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, crypto.SHA256},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, crypto.SHA384},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, crypto.SHA512},
}

// hashByOID maps a digest AlgorithmIdentifier's OID to its hash.
func hashByOID(oid asn1.ObjectIdentifier) (crypto.Hash, error) {
	for _, h := range hashOIDs {
		if h.oid.Equal(oid) {
			return h.hash, nil
		}
	}
	return 0, fmt.Errorf("%w: digest algorithm %v", ErrUnsupported, oid)
}

// parseDigestAlgorithm reads a digest AlgorithmIdentifier and returns its
// hash.
func parseDigestAlgorithm(v asn1.RawValue) (crypto.Hash, error) {
	a, err := parseAlgorithm(v)
	if err != nil {
		return 0, err
	}
	return hashByOID(a.Algorithm)
}

// scheme is how a signature is padded and encoded.
type scheme int

const (
	schemePKCS1v15   scheme = iota + 1
	schemePSS               // RSASSA-PSS, MGF1 with the same hash
	schemeECDSA             // DER SEQUENCE { r, s }
	schemeECDSAPlain        // r‖s, each the order's length (BSI TR-03111)
)

// signatureAlgorithm is a resolved signature AlgorithmIdentifier.
type signatureAlgorithm struct {
	scheme  scheme
	hash    crypto.Hash
	saltLen int // PSS only
}

// String names the algorithm as reports show it, e.g. "ECDSA-SHA256".
func (a signatureAlgorithm) String() string {
	name := map[scheme]string{schemePKCS1v15: "RSA-PKCS1v15", schemePSS: "RSA-PSS", schemeECDSA: "ECDSA", schemeECDSAPlain: "ECDSA-plain"}[a.scheme]
	return fmt.Sprintf("%s-%s", name, a.hash)
}

var signatureOIDs = []struct {
	oid    asn1.ObjectIdentifier
	scheme scheme
	hash   crypto.Hash // 0: the digest algorithm given beside it
}{
	{oidRSAEncryption, schemePKCS1v15, 0},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}, schemePKCS1v15, crypto.SHA1},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 14}, schemePKCS1v15, crypto.SHA224},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, schemePKCS1v15, crypto.SHA256},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}, schemePKCS1v15, crypto.SHA384},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}, schemePKCS1v15, crypto.SHA512},
	{oidECPublicKey, schemeECDSA, 0},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}, schemeECDSA, crypto.SHA1},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}, schemeECDSA, crypto.SHA224},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}, schemeECDSA, crypto.SHA256},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}, schemeECDSA, crypto.SHA384},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}, schemeECDSA, crypto.SHA512},
	// BSI TR-03111 ecdsa-plain-signatures, used in active authentication.
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 1}, schemeECDSAPlain, crypto.SHA1},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 2}, schemeECDSAPlain, crypto.SHA224},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 3}, schemeECDSAPlain, crypto.SHA256},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 4}, schemeECDSAPlain, crypto.SHA384},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 5}, schemeECDSAPlain, crypto.SHA512},
}

var oidMGF1 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}

// parseSignatureAlgorithm resolves a signature AlgorithmIdentifier. digest
// is the hash named beside it (a SignerInfo's digestAlgorithm), used when
// the identifier names only the key type (rsaEncryption, id-ecPublicKey); 0
// where there is none (certificates).
func parseSignatureAlgorithm(alg algorithmIdentifier, digest crypto.Hash) (signatureAlgorithm, error) {
	if alg.Algorithm.Equal(oidRSAPSS) {
		return parsePSSParams(alg.Params)
	}
	for _, s := range signatureOIDs {
		if !s.oid.Equal(alg.Algorithm) {
			continue
		}
		h := s.hash
		if h == 0 {
			h = digest
		}
		if h == 0 {
			return signatureAlgorithm{}, fmt.Errorf("%w: %v without a digest algorithm", ErrUnsupported, alg.Algorithm)
		}
		return signatureAlgorithm{scheme: s.scheme, hash: h}, nil
	}
	return signatureAlgorithm{}, fmt.Errorf("%w: signature algorithm %v", ErrUnsupported, alg.Algorithm)
}

// parsePSSParams reads RSASSA-PSS-params (RFC 4055): hash [0] default SHA-1,
// mask generation [1] default MGF1-SHA-1, salt length [2] default 20,
// trailer [3] default 1. The mask must be MGF1 with the message hash, as Go's
// crypto/rsa applies.
func parsePSSParams(params asn1.RawValue) (signatureAlgorithm, error) {
	a := signatureAlgorithm{scheme: schemePSS, hash: crypto.SHA1, saltLen: 20}
	mgfHash := crypto.SHA1
	if len(params.FullBytes) == 0 || is(params, asn1.ClassUniversal, asn1.TagNull, false) {
		return a, nil // all defaults
	}
	es, err := sequence(params, 0, "RSASSA-PSS-params")
	if err != nil {
		return a, err
	}
	for _, e := range es {
		if e.Class != asn1.ClassContextSpecific {
			return a, fmt.Errorf("%w: RSASSA-PSS-params element", ErrMalformed)
		}
		inner, err := explicit(e, e.Tag)
		if err != nil {
			return a, fmt.Errorf("RSASSA-PSS-params: %w", err)
		}
		switch e.Tag {
		case 0:
			if a.hash, err = parseDigestAlgorithm(inner); err != nil {
				return a, err
			}
		case 1:
			mgf, err := parseAlgorithm(inner)
			if err != nil {
				return a, err
			}
			if !mgf.Algorithm.Equal(oidMGF1) {
				return a, fmt.Errorf("%w: PSS mask generation %v", ErrUnsupported, mgf.Algorithm)
			}
			if mgfHash, err = parseDigestAlgorithm(mgf.Params); err != nil {
				return a, fmt.Errorf("PSS MGF1 hash: %w", err)
			}
		case 2:
			var n int
			if err := decode(inner, &n, "PSS salt length"); err != nil {
				return a, err
			}
			if n < 0 || n > 1024 {
				return a, fmt.Errorf("%w: PSS salt length %d", ErrMalformed, n)
			}
			a.saltLen = n
		case 3:
			var t int
			if err := decode(inner, &t, "PSS trailer"); err != nil {
				return a, err
			}
			if t != 1 {
				return a, fmt.Errorf("%w: PSS trailer field %d", ErrUnsupported, t)
			}
		default:
			return a, fmt.Errorf("%w: RSASSA-PSS-params [%d]", ErrMalformed, e.Tag)
		}
	}
	if mgfHash != a.hash {
		return a, fmt.Errorf("%w: PSS with MGF1-%v over %v", ErrUnsupported, mgfHash, a.hash)
	}
	return a, nil
}
