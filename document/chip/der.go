package chip

import (
	"encoding/asn1"
	"fmt"
	"math/big"
)

// maxElements caps how many elements a SEQUENCE or SET may hold, so that a
// hostile structure of many empty elements cannot make a parser allocate
// without bound.
const maxElements = 4096

// algorithmIdentifier is X.509's AlgorithmIdentifier; Params is the raw
// parameters element, zero when absent.
type algorithmIdentifier struct {
	Algorithm asn1.ObjectIdentifier
	Params    asn1.RawValue `asn1:"optional"`
}

// parseOne reads one DER element from b and returns it and what follows.
func parseOne(b []byte) (asn1.RawValue, []byte, error) {
	var v asn1.RawValue
	rest, err := asn1.Unmarshal(b, &v)
	if err != nil {
		return v, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return v, rest, nil
}

// parseExact reads exactly one DER element filling b.
func parseExact(b []byte) (asn1.RawValue, error) {
	v, rest, err := parseOne(b)
	if err != nil {
		return v, err
	}
	if len(rest) > 0 {
		return v, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(rest))
	}
	return v, nil
}

// is reports whether v has the given class, tag and constructed bit.
func is(v asn1.RawValue, class, tag int, compound bool) bool {
	return v.Class == class && v.Tag == tag && v.IsCompound == compound
}

// isSequence and isSet name the two universal constructed types.
func isSequence(v asn1.RawValue) bool { return is(v, asn1.ClassUniversal, asn1.TagSequence, true) }
func isSet(v asn1.RawValue) bool      { return is(v, asn1.ClassUniversal, asn1.TagSet, true) }

// children splits a constructed element's contents into its elements.
func children(v asn1.RawValue) ([]asn1.RawValue, error) {
	if !v.IsCompound {
		return nil, fmt.Errorf("%w: expected a constructed element", ErrMalformed)
	}
	var out []asn1.RawValue
	b := v.Bytes
	for len(b) > 0 {
		if len(out) == maxElements {
			return nil, fmt.Errorf("%w: more than %d elements", ErrTooLarge, maxElements)
		}
		e, rest, err := parseOne(b)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		b = rest
	}
	return out, nil
}

// sequence returns the elements of v, which must be a SEQUENCE of at least
// min elements.
func sequence(v asn1.RawValue, min int, what string) ([]asn1.RawValue, error) {
	if !isSequence(v) {
		return nil, fmt.Errorf("%w: %s is not a SEQUENCE", ErrMalformed, what)
	}
	es, err := children(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(es) < min {
		return nil, fmt.Errorf("%w: %s has %d elements, want at least %d", ErrMalformed, what, len(es), min)
	}
	return es, nil
}

// parseSequence reads exactly one DER element filling der, which must be a
// SEQUENCE of at least min elements, and returns its elements; errors name
// what.
func parseSequence(der []byte, min int, what string) ([]asn1.RawValue, error) {
	v, err := parseExact(der)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return sequence(v, min, what)
}

// explicit unwraps a context-specific constructed [tag] holding exactly one
// element.
func explicit(v asn1.RawValue, tag int) (asn1.RawValue, error) {
	if !is(v, asn1.ClassContextSpecific, tag, true) {
		return asn1.RawValue{}, fmt.Errorf("%w: expected [%d]", ErrMalformed, tag)
	}
	return parseExact(v.Bytes)
}

// decode unmarshals the whole of v into out (an OID, integer, time…).
func decode(v asn1.RawValue, out any, what string) error {
	rest, err := asn1.Unmarshal(v.FullBytes, out)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrMalformed, what, err)
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: %s: trailing bytes", ErrMalformed, what)
	}
	return nil
}

// parseAlgorithm reads an AlgorithmIdentifier.
func parseAlgorithm(v asn1.RawValue) (algorithmIdentifier, error) {
	var a algorithmIdentifier
	if err := decode(v, &a, "AlgorithmIdentifier"); err != nil {
		return a, err
	}
	return a, nil
}

// octets reads an OCTET STRING.
func octets(v asn1.RawValue, what string) ([]byte, error) {
	if !is(v, asn1.ClassUniversal, asn1.TagOctetString, false) {
		return nil, fmt.Errorf("%w: %s is not an OCTET STRING", ErrMalformed, what)
	}
	return v.Bytes, nil
}

// integer reads an INTEGER of any size.
func integer(v asn1.RawValue, what string) (*big.Int, error) {
	n := new(big.Int)
	if err := decode(v, &n, what); err != nil {
		return nil, err
	}
	return n, nil
}

// parseCapped is the frame of the exported parsers: it refuses input over
// max bytes before reading any of it, and names what it reads (the SOD, a
// certificate, a master list, DG2) in its errors.
func parseCapped[T any](what string, b []byte, max int, parse func([]byte) (T, error)) (T, error) {
	var zero T
	if len(b) > max {
		return zero, fmt.Errorf("chip: %s of %d bytes: %w", what, len(b), ErrTooLarge)
	}
	v, err := parse(b)
	if err != nil {
		return zero, fmt.Errorf("chip: %s: %w", what, err)
	}
	return v, nil
}
