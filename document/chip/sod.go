package chip

import (
	"crypto"
	"encoding/asn1"
	"fmt"
)

// MaxSODBytes caps EF.SOD. Real ones are a few kilobytes: the LDS security
// object, a signature and one or two certificates.
const MaxSODBytes = 64 << 10

var oidLDSSecurityObject = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 1}

// SOD is a parsed Document Security Object (ICAO 9303-10, 4.6.2): the hash
// of each data group, signed by the Document Signer. Parsing checks only
// structure; Verify checks the hashes, signature and trust.
type SOD struct {
	// HashAlgorithm hashes the data groups.
	HashAlgorithm crypto.Hash
	hashes        map[int][]byte
	signed        *signedData
}

// DataGroups lists the data group numbers the SOD has hashes for, ascending.
func (s *SOD) DataGroups() []int {
	var out []int
	for n := 1; n <= 16; n++ {
		if _, ok := s.hashes[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// ParseSOD reads EF.SOD: application tag 23 (0x77) around a ContentInfo with
// SignedData whose content is an LDSSecurityObject.
func ParseSOD(b []byte) (*SOD, error) {
	return parseCapped("SOD", b, MaxSODBytes, parseSOD)
}

func parseSOD(b []byte) (*SOD, error) {
	outer, err := parseExact(b)
	if err != nil {
		return nil, err
	}
	if !is(outer, asn1.ClassApplication, 23, true) {
		return nil, fmt.Errorf("%w: not tagged 0x77", ErrMalformed)
	}
	sd, es, err := parseSignedContent(outer.Bytes, oidLDSSecurityObject, 3, "LDSSecurityObject")
	if err != nil {
		return nil, err
	}
	s := &SOD{signed: sd, hashes: map[int][]byte{}}
	if s.HashAlgorithm, err = parseDigestAlgorithm(es[1]); err != nil {
		return nil, err
	}
	groups, err := sequence(es[2], 1, "dataGroupHashValues")
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		var dg struct {
			Number int
			Hash   []byte
		}
		if err := decode(g, &dg, "DataGroupHash"); err != nil {
			return nil, err
		}
		if dg.Number < 1 || dg.Number > 16 {
			return nil, fmt.Errorf("%w: data group number %d", ErrMalformed, dg.Number)
		}
		if _, dup := s.hashes[dg.Number]; dup {
			return nil, fmt.Errorf("%w: data group %d hashed twice", ErrMalformed, dg.Number)
		}
		if len(dg.Hash) != s.HashAlgorithm.Size() {
			return nil, fmt.Errorf("%w: DG%d hash of %d bytes for %v", ErrMalformed, dg.Number, len(dg.Hash), s.HashAlgorithm)
		}
		s.hashes[dg.Number] = dg.Hash
	}
	return s, nil
}

// checkDataGroup compares a data group's hash with the SOD's.
func (s *SOD) checkDataGroup(n int, content []byte) bool {
	want, ok := s.hashes[n]
	if !ok {
		return false
	}
	h := s.HashAlgorithm.New()
	h.Write(content)
	return string(h.Sum(nil)) == string(want)
}
