package chip

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/asn1"
	"fmt"
	"math/big"
)

// verifySignature checks sig over message with key under alg. The error
// wraps ErrSignature when the signature is wrong, ErrUnsupported when the
// algorithm does not fit the key or cannot be computed.
func verifySignature(key publicKey, alg signatureAlgorithm, message, sig []byte) error {
	if !alg.hash.Available() {
		return fmt.Errorf("%w: hash %v", ErrUnsupported, alg.hash)
	}
	h := alg.hash.New()
	h.Write(message)
	return verifyDigest(key, alg, h.Sum(nil), sig)
}

// verifyDigest is verifySignature on the message's digest.
func verifyDigest(key publicKey, alg signatureAlgorithm, digest, sig []byte) error {
	switch alg.scheme {
	case schemePKCS1v15, schemePSS:
		if key.rsa == nil {
			return fmt.Errorf("%w: %v with a %v key", ErrUnsupported, alg, key)
		}
		var err error
		if alg.scheme == schemePSS {
			err = rsa.VerifyPSS(key.rsa, alg.hash, digest, sig, &rsa.PSSOptions{SaltLength: alg.saltLen})
		} else {
			err = rsa.VerifyPKCS1v15(key.rsa, alg.hash, digest, sig)
		}
		if err != nil {
			return fmt.Errorf("%w: %v: %v", ErrSignature, alg, err)
		}
		return nil
	case schemeECDSA, schemeECDSAPlain:
		if key.ec == nil {
			return fmt.Errorf("%w: %v with a %v key", ErrUnsupported, alg, key)
		}
		r, s, err := ecdsaValues(key.ec.curve, alg.scheme, sig)
		if err != nil {
			return err
		}
		if !key.ec.verify(digest, r, s) {
			return fmt.Errorf("%w: %v on %s", ErrSignature, alg, key.ec.curve.name)
		}
		return nil
	default:
		return fmt.Errorf("%w: signature scheme %d", ErrUnsupported, alg.scheme)
	}
}

// ecdsaValues decodes r and s, DER or plain.
func ecdsaValues(c *curve, sch scheme, sig []byte) (r, s *big.Int, err error) {
	if sch == schemeECDSAPlain {
		if len(sig) != 2*c.orderByteLen {
			return nil, nil, fmt.Errorf("%w: plain ECDSA signature of %d bytes on %s", ErrSignature, len(sig), c.name)
		}
		return new(big.Int).SetBytes(sig[:c.orderByteLen]), new(big.Int).SetBytes(sig[c.orderByteLen:]), nil
	}
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(sig, &rs)
	if err != nil || len(rest) > 0 {
		return nil, nil, fmt.Errorf("%w: ECDSA signature is not DER", ErrSignature)
	}
	return rs.R, rs.S, nil
}

func (k *ecPublicKey) verify(digest []byte, r, s *big.Int) bool {
	if k.nist != nil {
		return ecdsa.Verify(k.nist, digest, r, s)
	}
	return k.curve.verifyECDSA(k.x, k.y, digest, r, s)
}
