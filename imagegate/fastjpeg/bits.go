package fastjpeg

import "encoding/binary"

// bitReader reads an entropy-coded segment: its bytes with the stuffed
// 0x00 after each 0xFF removed, most significant bit first, up to the
// next marker. Past the marker it reads zeros and counts them, so that a
// block that needed them can be told apart (image/jpeg fails there) and
// its decoding checked once, after the block.
type bitReader struct {
	data     []byte
	pos      int    // next byte of data to read, or the marker's 0xFF
	acc      uint64 // the bits read and not taken, left-aligned
	n        int    // how many bits acc holds
	padded   int    // of those, zeros read past the marker
	atMarker bool   // pos is at a marker or the data's end
}

// fill tops the accumulator up to more than 56 bits: whole words at a
// time while the next eight bytes hold no 0xFF, else byte by byte.
func (r *bitReader) fill() {
	if !r.atMarker && r.pos+8 <= len(r.data) {
		w := binary.BigEndian.Uint64(r.data[r.pos:])
		if !hasFF(w) {
			k := (64 - r.n) >> 3 // whole bytes that fit
			r.acc |= w >> (64 - 8*k) << (64 - r.n - 8*k)
			r.n += 8 * k
			r.pos += k
			return
		}
	}
	for r.n <= 56 {
		var b byte
		if !r.atMarker {
			r.atMarker = r.pos >= len(r.data)
			if !r.atMarker {
				b = r.data[r.pos]
				switch {
				case b != 0xff:
					r.pos++
				case r.pos+1 < len(r.data) && r.data[r.pos+1] == 0:
					r.pos += 2
				default:
					r.atMarker = true
				}
			}
		}
		if r.atMarker {
			b = 0
			r.padded += 8
		}
		r.acc |= uint64(b) << (56 - r.n)
		r.n += 8
	}
}

// hasFF reports whether any byte of w is 0xFF (any byte of ^w zero).
func hasFF(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	x := ^w
	return (x-ones)&^x&highs != 0
}

// overrun reports whether more bits were taken than the segment holds.
func (r *bitReader) overrun() bool { return r.n < r.padded }

// decode takes one Huffman-coded value; the caller has made sure of 16
// bits. It fails on bits that are no code of h.
func (r *bitReader) decode(h *huffman) (byte, bool) {
	if e := h.lookup[r.acc>>(64-lookupBits)]; e&0xff != 0 {
		l := int(e & 0xff)
		r.acc <<= l
		r.n -= l
		return byte(e >> 8), true
	}
	top := uint32(r.acc >> 48)
	for l := lookupBits; l < 16; l++ {
		if top < h.maxCode[l] {
			code := int32(top >> (15 - l))
			r.acc <<= l + 1
			r.n -= l + 1
			return h.vals[h.valPtr[l]+code], true
		}
	}
	return 0, false
}

// bits takes t raw bits (t ≤ 16; the caller has made sure of them).
func (r *bitReader) bits(t int) int32 {
	if t == 0 {
		return 0
	}
	v := int32(r.acc >> (64 - t))
	r.acc <<= t
	r.n -= t
	return v
}

// extend takes t bits as a coefficient's magnitude category t (RECEIVE
// and EXTEND, ITU T.81 F.2.2.1).
func (r *bitReader) extend(t int) int32 { return extended(r.bits(t), t) }

// extended is the coefficient that the t magnitude bits v stand for
// (EXTEND): v itself when its top bit is set, else v − 2ᵗ + 1.
func extended(v int32, t int) int32 {
	if t > 0 && v < 1<<(t-1) {
		v += -(1 << t) + 1
	}
	return v
}

// atBoundary reports whether the segment's data ends where the reader
// stands: every whole byte taken (what is left of the last one is the
// encoder's padding) and the next two bytes a marker m. image/jpeg then
// stands at that marker too; anything else it reads by rules of its own.
func (r *bitReader) atBoundary(m byte) bool {
	left := r.n - r.padded
	return left >= 0 && left < 8 && r.pos+1 < len(r.data) && r.data[r.pos] == 0xff && r.data[r.pos+1] == m
}

// restart moves past the marker at pos and starts a new segment.
func (r *bitReader) restart() {
	*r = bitReader{data: r.data, pos: r.pos + 2}
}
