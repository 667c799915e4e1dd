package chip

import (
	"crypto"
	"encoding/asn1"
	"fmt"
	"strings"
)

// MaxDataGroupBytes caps one data group. DG2 with a JPEG portrait is
// typically 15–40 KiB; larger ones exist with high-resolution images.
const MaxDataGroupBytes = 1 << 20

// DG1 tags (ICAO 9303-10, 4.7.1).
const (
	tagDG1  = 0x61
	tagMRZ  = 0x5F1F
	tagDG14 = 0x6E
	tagDG15 = 0x6F
)

// ParseDG1 returns the MRZ in DG1 as one string of 72, 88 or 90
// characters, lines not separated.
func ParseDG1(b []byte) (string, error) {
	if len(b) > MaxDataGroupBytes {
		return "", fmt.Errorf("chip: DG1: %w", ErrTooLarge)
	}
	body, err := readTagged(b, tagDG1)
	if err != nil {
		return "", fmt.Errorf("chip: DG1: %w", err)
	}
	mrz, err := findTLV(body, tagMRZ)
	if err != nil {
		return "", fmt.Errorf("chip: DG1 MRZ: %w", err)
	}
	switch len(mrz) {
	case 72, 88, 90:
	default:
		return "", fmt.Errorf("chip: DG1: %w: MRZ of %d characters", ErrMalformed, len(mrz))
	}
	for _, c := range mrz {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '<') {
			return "", fmt.Errorf("chip: DG1: %w: MRZ character outside A-Z 0-9 <", ErrMalformed)
		}
	}
	return string(mrz), nil
}

// sameMRZ compares the DG1 MRZ with an optically read one, whose lines may be
// separated by newlines and surrounded by blanks.
func sameMRZ(dg1, optical string) bool {
	var b strings.Builder
	for _, line := range strings.Fields(optical) {
		b.WriteString(line)
	}
	return b.String() == dg1
}

// parseDG15 reads the active authentication public key.
func parseDG15(b []byte) (publicKey, error) {
	spki, err := readTagged(b, tagDG15)
	if err != nil {
		return publicKey{}, fmt.Errorf("DG15: %w", err)
	}
	k, err := parsePublicKey(spki)
	if err != nil {
		return publicKey{}, fmt.Errorf("DG15: %w", err)
	}
	return k, nil
}

var oidActiveAuthentication = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 5}

// parseDG14AAHash returns the hash that DG14's ActiveAuthenticationInfo names
// for ECDSA active authentication (ICAO 9303-11, 6.1), or 0 when DG14 has
// none.
func parseDG14AAHash(b []byte) (crypto.Hash, error) {
	body, err := readTagged(b, tagDG14)
	if err != nil {
		return 0, fmt.Errorf("DG14: %w", err)
	}
	v, err := parseExact(body)
	if err != nil || !isSet(v) {
		return 0, fmt.Errorf("DG14: %w: SecurityInfos", ErrMalformed)
	}
	infos, err := children(v)
	if err != nil {
		return 0, fmt.Errorf("DG14: %w", err)
	}
	for _, info := range infos {
		es, err := sequence(info, 2, "SecurityInfo")
		if err != nil {
			return 0, fmt.Errorf("DG14: %w", err)
		}
		var proto asn1.ObjectIdentifier
		if decode(es[0], &proto, "protocol") != nil || !proto.Equal(oidActiveAuthentication) {
			continue
		}
		if len(es) < 3 {
			return 0, fmt.Errorf("DG14: %w: ActiveAuthenticationInfo without algorithm", ErrMalformed)
		}
		var alg asn1.ObjectIdentifier
		if err := decode(es[2], &alg, "signatureAlgorithm"); err != nil {
			return 0, fmt.Errorf("DG14: %w", err)
		}
		sa, err := parseSignatureAlgorithm(algorithmIdentifier{Algorithm: alg}, 0)
		if err != nil {
			return 0, fmt.Errorf("DG14: %w", err)
		}
		return sa.hash, nil
	}
	return 0, nil
}
