package chip

import "fmt"

// tlv is one BER-TLV element of a data group (ISO/IEC 7816-4 tags of up to
// three bytes, definite lengths of up to four bytes).
type tlv struct {
	tag   uint32
	value []byte
}

// readTLV reads one element from b and returns it and what follows. The
// value is a subslice of b: nothing is allocated for it.
func readTLV(b []byte) (tlv, []byte, error) {
	if len(b) == 0 {
		return tlv{}, nil, fmt.Errorf("%w: missing tag", ErrMalformed)
	}
	tag := uint32(b[0])
	i := 1
	if b[0]&0x1F == 0x1F {
		for {
			if i >= len(b) || i > 3 {
				return tlv{}, nil, fmt.Errorf("%w: bad tag", ErrMalformed)
			}
			tag = tag<<8 | uint32(b[i])
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return tlv{}, nil, fmt.Errorf("%w: missing length", ErrMalformed)
	}
	n := int(b[i])
	i++
	if n > 0x80 {
		k := n & 0x7F
		if k > 4 || i+k > len(b) {
			return tlv{}, nil, fmt.Errorf("%w: bad length", ErrMalformed)
		}
		n = 0
		for _, c := range b[i : i+k] {
			n = n<<8 | int(c)
		}
		i += k
	} else if n == 0x80 {
		return tlv{}, nil, fmt.Errorf("%w: indefinite length", ErrMalformed)
	}
	if n < 0 || n > len(b)-i {
		return tlv{}, nil, fmt.Errorf("%w: length %d beyond the data", ErrMalformed, n)
	}
	return tlv{tag: tag, value: b[i : i+n]}, b[i+n:], nil
}

// readTagged reads the single element of b, which must carry tag.
func readTagged(b []byte, tag uint32) ([]byte, error) {
	e, rest, err := readTLV(b)
	if err != nil {
		return nil, err
	}
	if e.tag != tag {
		return nil, fmt.Errorf("%w: tag %X, want %X", ErrMalformed, e.tag, tag)
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("%w: %d bytes after tag %X", ErrMalformed, len(rest), tag)
	}
	return e.value, nil
}

// findTLV returns the value of the first element of b with tag, scanning
// one level only.
func findTLV(b []byte, tag uint32) ([]byte, error) {
	for len(b) > 0 {
		e, rest, err := readTLV(b)
		if err != nil {
			return nil, err
		}
		if e.tag == tag {
			return e.value, nil
		}
		b = rest
	}
	return nil, fmt.Errorf("%w: tag %X", ErrNotFound, tag)
}
