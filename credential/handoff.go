package credential

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strings"
)

// A hand-off code moves a session from one device to another (a desktop
// without a camera to a phone): short enough to type from the screen,
// random enough that guessing one is hopeless in the minutes it lives and
// the single use it allows. HandoffCodeLen characters of Crockford's
// base32 carry 80 random bits; they are shown in groups of four
// (K7Q2-M9XD-2HTP-WR4B) and read back forgiving case, dashes, spaces and
// the letters people mistake for digits (O for 0, I and L for 1).
const (
	HandoffCodeLen  = 16
	handoffAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)

// NewHandoffCode returns a fresh code, grouped for display.
func NewHandoffCode() (string, error) {
	raw := make([]byte, HandoffCodeLen*5/8)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("credential: random: %w", err)
	}
	var b strings.Builder
	var acc uint64
	bits := 0
	for _, x := range raw {
		acc = acc<<8 | uint64(x)
		bits += 8
		for bits >= 5 {
			bits -= 5
			b.WriteByte(handoffAlphabet[acc>>bits&31])
		}
	}
	return group(b.String()), nil
}

// ParseHandoffCode reads a code as a person may type it and returns it in
// its display form; ErrMalformed when it cannot be one.
func ParseHandoffCode(text string) (string, error) {
	if len(text) > 2*HandoffCodeLen {
		return "", ErrMalformed
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(text) {
		switch r {
		case '-', ' ':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if !strings.ContainsRune(handoffAlphabet, r) {
			return "", ErrMalformed
		}
		b.WriteRune(r)
	}
	if b.Len() != HandoffCodeLen {
		return "", ErrMalformed
	}
	return group(b.String()), nil
}

// HashHandoffCode is what is stored of a code in its display form.
func HashHandoffCode(code string) []byte {
	h := sha256.Sum256([]byte(code))
	return h[:]
}

func group(s string) string {
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}
