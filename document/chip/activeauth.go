package chip

import (
	"crypto"
	"crypto/subtle"
	"fmt"
	"math/big"
)

// MaxChallengeBytes caps the challenge; ICAO uses 8 bytes.
const MaxChallengeBytes = 64

// minAARSABits is the smallest RSA key active authentication accepts: chips
// use 1024 bits and more, and the ISO 9796-2 layout needs room for the
// header, a digest and the trailer.
const minAARSABits = 1024

// ActiveAuthentication is the chip's answer to a challenge the server
// issued: INTERNAL AUTHENTICATE's response, signed with the DG15 key.
type ActiveAuthentication struct {
	// Challenge is the server-issued nonce (RND.IFD) the app passed to the
	// chip. Without it a signature proves nothing: the app could replay a
	// recorded answer.
	Challenge []byte
	// Signature is the chip's response.
	Signature []byte
}

// ISO/IEC 9796-2 trailer hash identifiers (ISO/IEC 10118).
var iso9796HashIDs = map[byte]crypto.Hash{
	0x33: crypto.SHA1, 0x34: crypto.SHA256, 0x35: crypto.SHA512, 0x36: crypto.SHA384, 0x38: crypto.SHA224,
}

// verifyActive checks an active authentication signature with the DG15 key.
// ecHash is the hash for ECDSA keys (from DG14, or chosen by the order's
// size when 0).
func verifyActive(key publicKey, ecHash crypto.Hash, aa ActiveAuthentication) error {
	if len(aa.Challenge) > MaxChallengeBytes {
		return fmt.Errorf("%w: challenge of %d bytes", ErrTooLarge, len(aa.Challenge))
	}
	if key.rsa != nil {
		return verifyISO9796(key, aa.Challenge, aa.Signature)
	}
	c := key.ec.curve
	if ecHash == 0 {
		switch {
		case c.orderByteLen <= 32:
			ecHash = crypto.SHA256
		case c.orderByteLen <= 48:
			ecHash = crypto.SHA384
		default:
			ecHash = crypto.SHA512
		}
	}
	sch := schemeECDSAPlain
	if len(aa.Signature) != 2*c.orderByteLen {
		sch = schemeECDSA // a few chips answer in DER
	}
	return verifySignature(key, signatureAlgorithm{scheme: sch, hash: ecHash}, aa.Challenge, aa.Signature)
}

// verifyISO9796 checks an ISO/IEC 9796-2 digital signature scheme 1
// signature with partial message recovery (ICAO 9303-11, 6.1): the recovered
// message is 0x6A ‖ M1 ‖ H(M1 ‖ challenge) ‖ trailer, where the trailer is
// 0xBC (SHA-1) or hashID ‖ 0xCC.
func verifyISO9796(key publicKey, challenge, sig []byte) error {
	n := key.rsa.N
	if n.BitLen() < minAARSABits {
		return fmt.Errorf("%w: RSA active authentication key of %d bits", ErrUnsupported, n.BitLen())
	}
	k := (n.BitLen() + 7) / 8
	s := new(big.Int).SetBytes(sig)
	if len(sig) > k || s.Sign() == 0 || s.Cmp(n) >= 0 {
		return fmt.Errorf("%w: ISO 9796-2 signature out of range", ErrSignature)
	}
	m := new(big.Int).Exp(s, big.NewInt(int64(key.rsa.E)), n)
	if m.Bit(0) != 0 || m.Bit(1) != 0 || m.Bit(2) != 1 || m.Bit(3) != 1 {
		m.Sub(n, m) // the signer may have sent min(s, n−s)
	}
	msg := m.FillBytes(make([]byte, k))
	var h crypto.Hash
	var trailer int
	switch {
	case msg[k-1] == 0xBC:
		h, trailer = crypto.SHA1, 1
	case msg[k-1] == 0xCC:
		var ok bool
		if h, ok = iso9796HashIDs[msg[k-2]]; !ok {
			return fmt.Errorf("%w: ISO 9796-2 trailer hash %#x", ErrUnsupported, msg[k-2])
		}
		trailer = 2
	default:
		return fmt.Errorf("%w: ISO 9796-2 trailer", ErrSignature)
	}
	digestStart := k - trailer - h.Size()
	if digestStart < 2 || msg[0] != 0x6A {
		return fmt.Errorf("%w: ISO 9796-2 header", ErrSignature)
	}
	d := h.New()
	d.Write(msg[1:digestStart])
	d.Write(challenge)
	if subtle.ConstantTimeCompare(d.Sum(nil), msg[digestStart:k-trailer]) != 1 {
		return fmt.Errorf("%w: ISO 9796-2 digest", ErrSignature)
	}
	return nil
}
