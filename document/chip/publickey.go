package chip

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/asn1"
	"fmt"
	"math/big"
)

// maxRSABits caps RSA moduli: a larger key only costs the verifier time.
const maxRSABits = 8192

var (
	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSAPSS        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidECPublicKey   = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidPrimeField    = asn1.ObjectIdentifier{1, 2, 840, 10045, 1, 1}
)

// publicKey is an RSA or elliptic-curve public key; exactly one of rsa and
// ec is set.
type publicKey struct {
	rsa *rsa.PublicKey
	ec  *ecPublicKey
}

// ecPublicKey is a point on a known curve; nist is set for NIST curves,
// which crypto/ecdsa verifies.
type ecPublicKey struct {
	curve *curve
	x, y  *big.Int
	nist  *ecdsa.PublicKey
}

// String names the key type and size, e.g. "RSA-2048" or "brainpoolP256r1".
func (k publicKey) String() string {
	if k.rsa != nil {
		return fmt.Sprintf("RSA-%d", k.rsa.N.BitLen())
	}
	return k.ec.curve.name
}

// parsePublicKey reads a SubjectPublicKeyInfo.
func parsePublicKey(der []byte) (publicKey, error) {
	es, err := parseSequence(der, 2, "SubjectPublicKeyInfo")
	if err != nil {
		return publicKey{}, err
	}
	alg, err := parseAlgorithm(es[0])
	if err != nil {
		return publicKey{}, fmt.Errorf("public key algorithm: %w", err)
	}
	var bits asn1.BitString
	if err := decode(es[1], &bits, "subjectPublicKey"); err != nil {
		return publicKey{}, err
	}
	if bits.BitLength%8 != 0 {
		return publicKey{}, fmt.Errorf("%w: public key is not whole bytes", ErrMalformed)
	}
	switch {
	case alg.Algorithm.Equal(oidRSAEncryption), alg.Algorithm.Equal(oidRSAPSS):
		return parseRSAKey(bits.Bytes)
	case alg.Algorithm.Equal(oidECPublicKey):
		return parseECKey(alg.Params, bits.Bytes)
	default:
		return publicKey{}, fmt.Errorf("%w: public key algorithm %v", ErrUnsupported, alg.Algorithm)
	}
}

func parseRSAKey(b []byte) (publicKey, error) {
	var k struct {
		N *big.Int
		E *big.Int
	}
	rest, err := asn1.Unmarshal(b, &k)
	if err != nil || len(rest) > 0 {
		return publicKey{}, fmt.Errorf("%w: RSA public key", ErrMalformed)
	}
	if k.N.Sign() <= 0 || k.N.BitLen() > maxRSABits {
		return publicKey{}, fmt.Errorf("%w: RSA modulus of %d bits", ErrUnsupported, k.N.BitLen())
	}
	if k.E.Sign() <= 0 || k.E.BitLen() > 31 {
		return publicKey{}, fmt.Errorf("%w: RSA public exponent", ErrUnsupported)
	}
	return publicKey{rsa: &rsa.PublicKey{N: k.N, E: int(k.E.Int64())}}, nil
}

// parseECKey reads the point of an id-ecPublicKey key whose parameters are a
// named curve OID or explicit ECParameters equal to a known curve.
func parseECKey(params asn1.RawValue, point []byte) (publicKey, error) {
	var c *curve
	switch {
	case is(params, asn1.ClassUniversal, asn1.TagOID, false):
		var oid asn1.ObjectIdentifier
		if err := decode(params, &oid, "named curve"); err != nil {
			return publicKey{}, err
		}
		if c = curveByOID(oid); c == nil {
			return publicKey{}, fmt.Errorf("%w: curve %v", ErrUnsupported, oid)
		}
	case isSequence(params):
		var err error
		if c, err = explicitCurve(params); err != nil {
			return publicKey{}, err
		}
	default:
		return publicKey{}, fmt.Errorf("%w: EC key without curve parameters", ErrUnsupported)
	}
	x, y, ok := c.decodePoint(point)
	if !ok {
		return publicKey{}, fmt.Errorf("%w: EC public point not on %s", ErrMalformed, c.name)
	}
	k := &ecPublicKey{curve: c, x: x, y: y}
	if c.nist != nil {
		uncompressed := make([]byte, 1+2*c.byteLen)
		uncompressed[0] = 4
		x.FillBytes(uncompressed[1 : 1+c.byteLen])
		y.FillBytes(uncompressed[1+c.byteLen:])
		nk, err := ecdsa.ParseUncompressedPublicKey(c.nist, uncompressed)
		if err != nil {
			return publicKey{}, fmt.Errorf("%w: EC public key: %v", ErrMalformed, err)
		}
		k.nist = nk
	}
	return publicKey{ec: k}, nil
}

// explicitCurve matches explicit ECParameters (SEC 1, C.2) to a known curve:
// verifying on arbitrary caller-chosen curves is not offered.
func explicitCurve(params asn1.RawValue) (*curve, error) {
	var ep struct {
		Version int
		FieldID struct {
			FieldType asn1.ObjectIdentifier
			Prime     *big.Int
		}
		Curve struct {
			A, B []byte
			Seed asn1.BitString `asn1:"optional"`
		}
		Base     []byte
		Order    *big.Int
		Cofactor *big.Int `asn1:"optional"`
	}
	if err := decode(params, &ep, "ECParameters"); err != nil {
		return nil, err
	}
	if !ep.FieldID.FieldType.Equal(oidPrimeField) {
		return nil, fmt.Errorf("%w: EC field type %v", ErrUnsupported, ep.FieldID.FieldType)
	}
	p := ep.FieldID.Prime
	if p.Sign() <= 0 || p.BitLen() > 521 || ep.Order.Sign() <= 0 {
		return nil, fmt.Errorf("%w: EC parameters out of range", ErrUnsupported)
	}
	size := (p.BitLen() + 7) / 8
	if len(ep.Base) != 1+2*size || ep.Base[0] != 4 {
		return nil, fmt.Errorf("%w: EC base point not uncompressed", ErrUnsupported)
	}
	gx := new(big.Int).SetBytes(ep.Base[1 : 1+size])
	gy := new(big.Int).SetBytes(ep.Base[1+size:])
	c := curveByParams(p, new(big.Int).SetBytes(ep.Curve.A), new(big.Int).SetBytes(ep.Curve.B), gx, gy, ep.Order)
	if c == nil {
		return nil, fmt.Errorf("%w: explicit EC parameters of no known curve", ErrUnsupported)
	}
	return c, nil
}
