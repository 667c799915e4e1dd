package fastjpeg

// unzig maps a coefficient's zig-zag position to its place in the block
// (row-major): the anti-diagonals of the 8×8 block, walked alternately up
// and down from the top-left corner.
var unzig = func() (z [64]int) {
	i := 0
	for s := range 15 { // s = row + column
		for k := range s + 1 {
			r := k
			if s%2 == 0 {
				r = s - k // even diagonals run from bottom-left to top-right
			}
			if c := s - r; r < 8 && c < 8 {
				z[i] = 8*r + c
				i++
			}
		}
	}
	return z
}()

// block is one 8×8 block's dequantised coefficients, row-major, and which
// of its rows hold any (rows) and any beyond their first column (acRows).
type block struct {
	c      [64]int32
	rows   uint8
	acRows uint8
}

// scanState is what carries from block to block within a scan: each
// component's DC prediction and the run of blocks left without AC
// coefficients (EOBn codes; image/jpeg honours them in sequential scans
// too, so this does).
type scanState struct {
	dc     [3]int32
	eobRun int
}

// decodeScan decodes the scan's MCUs, restart intervals and all, and
// checks that it ends where image/jpeg's reading of it would, at EOI.
func (d *decoder) decodeScan() error {
	r := bitReader{data: d.data, pos: d.pos}
	var st scanState
	var b block
	expected := byte(markerRST0)
	total := d.mxx * d.myy
	for mcu := 0; mcu < total; {
		mx, my := mcu%d.mxx, mcu/d.mxx
		for _, ci := range d.scan {
			c := &d.comps[ci]
			for j := range c.h * c.v {
				if !d.decodeBlock(&r, ci, &st, &b) {
					return errFallback
				}
				d.store(ci, c.h*mx+j%c.h, c.v*my+j/c.h, &b)
			}
		}
		mcu++
		if d.restart > 0 && mcu%d.restart == 0 && mcu < total {
			if !r.atBoundary(expected) {
				return errFallback
			}
			r.restart()
			st = scanState{}
			expected = markerRST0 + (expected-markerRST0+1)%8
		}
	}
	if !r.atBoundary(markerEOI) {
		return errFallback
	}
	return nil
}

// decodeBlock reads the next block of component ci into b, dequantised.
// It fails where image/jpeg fails: no code of the table, a DC category over
// 16, or bits past the segment's end.
func (d *decoder) decodeBlock(r *bitReader, ci int, st *scanState, b *block) bool {
	c := &d.comps[ci]
	q := &d.quant[c.tq]
	*b = block{rows: 1}
	if r.n < 32 {
		r.fill()
	}
	t, ok := r.decode(&d.huff[0][c.td])
	if !ok || t > 16 {
		return false
	}
	st.dc[ci] += r.extend(int(t))
	b.c[0] = st.dc[ci] * q[0]
	if st.eobRun > 0 {
		st.eobRun--
		return !r.overrun()
	}
	ac := &d.huff[1][c.ta]
	for zig := 1; zig < 64; zig++ {
		if r.n < 32 {
			r.fill()
		}
		var coef int32
		if e := ac.fastAC[r.acc>>(64-lookupBits)]; e != 0 {
			// As image/jpeg: a run past the block's end takes the code
			// and not the magnitude bits.
			l := int(e>>4) & 0x0f
			if zig += int(e>>8) & 0xff; zig <= 63 {
				l += int(e & 0x0f)
			}
			r.acc <<= l
			r.n -= l
			coef = e >> 16
		} else {
			var end bool
			if zig, coef, end, ok = r.slowAC(ac, zig, st); !ok {
				return false
			} else if end {
				break
			}
		}
		if zig > 63 {
			break
		}
		if coef == 0 { // ZRL
			continue
		}
		k := unzig[zig]
		b.c[k] = coef * q[zig]
		b.rows |= 1 << (k >> 3)
		if k&7 != 0 {
			b.acRows |= 1 << (k >> 3)
		}
	}
	return !r.overrun()
}

// slowAC reads the AC code at zig that fastAC does not hold: a code or
// magnitude too long for it, ZRL (sixteen zeros), EOB or EOBn (this block
// and 2ⁿ−1+bits more end here). It returns the coefficient's zig-zag
// position (past 63 for a run beyond the block's end, whose magnitude
// bits it then leaves unread, as image/jpeg does), the coefficient (0 for
// ZRL), whether the block ends, and false for bits that are no code.
func (r *bitReader) slowAC(ac *huffman, zig int, st *scanState) (int, int32, bool, bool) {
	v, ok := r.decode(ac)
	if !ok {
		return zig, 0, false, false
	}
	run, size := int(v>>4), int(v&0x0f)
	switch {
	case size == 0 && run == 15:
		return zig + 15, 0, false, true
	case size == 0:
		st.eobRun = (1 << run) | int(r.bits(run))
		st.eobRun--
		return zig, 0, true, true
	case zig+run > 63:
		return zig + run, 0, false, true
	}
	return zig + run, r.extend(size), false, true
}

// store writes block (bx, by) of component ci to its plane (idct).
func (d *decoder) store(ci, bx, by int, b *block) {
	p := d.planes[ci]
	idct(b, p.pix[8*(by*p.stride+bx):], p.stride)
}
