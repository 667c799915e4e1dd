package fastjpeg

// lookupBits is how many bits the Huffman look-up table resolves at once;
// longer codes are decoded canonically from the code lengths.
const lookupBits = 9

// huffman is one Huffman table: a look-up of the next lookupBits bits
// (the value in the high byte, the code's length in the low; 0 when the
// code is longer), and the canonical limits for longer codes.
type huffman struct {
	defined bool
	lookup  [1 << lookupBits]uint16
	vals    [256]byte
	// maxCode[l] is the largest code of length l+1 plus one, shifted to
	// the top of 16 bits (0 when there is none); valPtr[l] the index in
	// vals of the first code of that length less that code.
	maxCode [16]uint32
	valPtr  [16]int32
	// fastAC, for an AC table: where the next lookupBits bits hold a
	// whole coefficient — its code and its magnitude bits — that
	// coefficient (high 16 bits, signed), its run of zeros (bits 8–15),
	// its code's length (bits 4–7) and its magnitude bits' (bits 0–3); 0
	// where they do not.
	fastAC [1 << lookupBits]int32
}

// build makes the table of counts codes of each length 1–16 and their
// values. A set of codes that is not a prefix code (more codes of some
// length than remain) is declined: image/jpeg decodes one by rules of
// its own.
func (h *huffman) build(counts [16]int, vals []byte) error {
	*h = huffman{defined: true}
	copy(h.vals[:], vals)
	code, k := 0, 0
	for l := range 16 {
		if counts[l] > 0 {
			h.valPtr[l] = int32(k - code)
		}
		for range counts[l] {
			if code >= 1<<(l+1) {
				return errFallback
			}
			if l < lookupBits {
				fill := 1 << (lookupBits - 1 - l)
				base := code * fill
				entry := uint16(h.vals[k])<<8 | uint16(l+1)
				for i := range fill {
					h.lookup[base+i] = entry
				}
			}
			code++
			k++
		}
		if counts[l] > 0 {
			h.maxCode[l] = uint32(code) << (15 - l)
		}
		code <<= 1
	}
	return nil
}

// buildFastAC fills fastAC from the look-up table: every short code of a
// non-zero coefficient whose magnitude bits fit in the same lookupBits.
func (h *huffman) buildFastAC() {
	for p, e := range h.lookup {
		l, rs := int(e&0xff), int(e>>8)
		run, size := rs>>4, rs&0x0f
		if l == 0 || size == 0 || l+size > lookupBits {
			continue
		}
		m := extended(int32(p>>(lookupBits-l-size))&(1<<size-1), size)
		h.fastAC[p] = m<<16 | int32(run)<<8 | int32(l)<<4 | int32(size)
	}
}
