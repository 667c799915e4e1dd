package chip

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
)

// AnswerECDSA signs a challenge as a chip with an ECDSA active
// authentication key answers INTERNAL AUTHENTICATE without DG14: plain
// r‖s over SHA-256, each half the order's size. It is what a chip simulator
// or an app's tests need; IDV itself only verifies answers.
func AnswerECDSA(key *ecdsa.PrivateKey, challenge []byte) ([]byte, error) {
	digest := sha256.Sum256(challenge)
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		return nil, fmt.Errorf("chip: answer: %w", err)
	}
	n := (key.Curve.Params().N.BitLen() + 7) / 8
	out := make([]byte, 2*n)
	r.FillBytes(out[:n])
	s.FillBytes(out[n:])
	return out, nil
}
