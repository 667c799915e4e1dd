package fastjpeg

// The inverse DCT is image/jpeg's, as the Go this module builds with has
// it (the tests compare with that one): Loeffler, Ligtenberg and
// Moschytz's 11-multiply algorithm in fixed point, rows
// then columns, with the same constants, shifts and order of int32
// operations, so that every output, overflow included, is the same. What
// differs is only what is skipped: a row whose coefficients are all zero
// stays zero, a row with only its DC coefficient becomes that coefficient
// times 2¹⁷ in every column (what the row pass computes for it), and when
// only the first row holds coefficients each column is its first value,
// rounded and scaled, all the way down (what the column pass computes).
// TestIDCTShortcuts holds the shortcuts to the full passes.

// Fixed-point constants: round(x · 2^bits) of the cosines and square
// roots the algorithm rotates and scales by, at the precisions it uses.
const (
	sqrt2InvCos6q18 = 70936  // (1/√2)·cos(6π/16) · 2¹⁸
	sqrt2InvSin6q18 = 171254 // (1/√2)·sin(6π/16) · 2¹⁸
	sqrt2InvCos6q12 = 1108   // (1/√2)·cos(6π/16) · 2¹²
	sqrt2InvSin6q12 = 2676   // (1/√2)·sin(6π/16) · 2¹²
	sqrt2Invq8      = 181    // (1/√2) · 2⁸
	sqrt2Invq14     = 11585  // (1/√2) · 2¹⁴
	cos3q12         = 3406   // cos(3π/16) · 2¹²
	sin3q12         = 2276   // sin(3π/16) · 2¹²
	cos1q12         = 4017   // cos(π/16) · 2¹²
	sin1q12         = 799    // sin(π/16) · 2¹²
)

// rotate is the 3-multiply rotation and scaling by (kcos, ksin).
func rotate(x0, x1, kcos, ksin int32) (int32, int32) {
	ksum := kcos * (x0 + x1)
	return ksum + (ksin-kcos)*x1, ksum - (kcos+ksin)*x0
}

// idct transforms b's coefficients into samples and writes them to dst,
// stride bytes a row: level-shifted by 128 and clamped to 0–255, as
// image/jpeg stores them.
func idct(b *block, dst []byte, stride int) {
	for i := range 8 {
		if b.rows&(1<<i) == 0 {
			continue
		}
		x := (*[8]int32)(b.c[8*i : 8*i+8])
		if b.acRows&(1<<i) == 0 {
			dc := x[0] << 17
			*x = [8]int32{dc, dc, dc, dc, dc, dc, dc, dc}
			continue
		}
		idctRow(x)
	}
	_ = dst[7*stride+7]
	if b.rows == 1 {
		for i := range 8 {
			v := sample(((b.c[i] + 1<<19) >> 2) >> 18)
			for y := range 8 {
				dst[y*stride+i] = v
			}
		}
		return
	}
	for i := range 8 {
		idctColumn(b, i, dst[i:], stride)
	}
}

// sample is an inverse DCT output as image/jpeg stores it.
func sample(v int32) uint8 { return uint8(min(max(v, -128), 127) + 128) }

// idctRow is the row pass on one row: UQ8.0 in, Q9.20 out.
func idctRow(x *[8]int32) {
	x0, x7, x2, x5, x1, x6, x3, x4 := x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]
	x0 <<= 17
	x1 <<= 17
	x0, x1 = x0+x1, x0-x1
	x2, x3 = rotate(x2, x3, sqrt2InvCos6q18, -sqrt2InvSin6q18)
	x1, x2 = x1+x2, x1-x2
	x0, x3 = x0+x3, x0-x3

	x4 <<= 7
	x7 <<= 7
	x7, x4 = x7+x4, x7-x4
	x6 *= sqrt2Invq8
	x5 *= sqrt2Invq8
	x7, x5 = x7+x5, x7-x5
	x4, x6 = x4+x6, x4-x6
	x4, x7 = rotate(x4>>2, x7>>2, cos3q12, -sin3q12)
	x5, x6 = rotate(x5>>2, x6>>2, cos1q12, -sin1q12)

	*x = [8]int32{x0 + x7, x1 + x6, x2 + x5, x3 + x4, x3 - x4, x2 - x5, x1 - x6, x0 - x7}
}

// idctColumn is the column pass on column i: Q9.20 in, the samples out
// to dst, stride bytes a row.
func idctColumn(b *block, i int, dst []byte, stride int) {
	c := &b.c
	x0, x7, x2, x5 := c[i], c[8+i], c[16+i], c[24+i]
	x1, x6, x3, x4 := c[32+i], c[40+i], c[48+i], c[56+i]

	x0 += 1 << 19
	x0, x1 = (x0+x1)>>2, (x0-x1)>>2
	x2, x3 = rotate(x2>>13, x3>>13, sqrt2InvCos6q12, -sqrt2InvSin6q12)
	x1, x2 = x1+x2, x1-x2
	x0, x3 = x0+x3, x0-x3

	x7, x4 = x7+x4, x7-x4
	x5 = (x5 >> 13) * sqrt2Invq14
	x6 = (x6 >> 13) * sqrt2Invq14
	x7, x5 = x7+x5, x7-x5
	x4, x6 = x4+x6, x4-x6
	x4, x7 = rotate(x4>>14, x7>>14, cos3q12, -sin3q12)
	x5, x6 = rotate(x5>>14, x6>>14, cos1q12, -sin1q12)

	_ = dst[7*stride]
	dst[0] = sample((x0 + x7) >> 18)
	dst[stride] = sample((x1 + x6) >> 18)
	dst[2*stride] = sample((x2 + x5) >> 18)
	dst[3*stride] = sample((x3 + x4) >> 18)
	dst[4*stride] = sample((x3 - x4) >> 18)
	dst[5*stride] = sample((x2 - x5) >> 18)
	dst[6*stride] = sample((x1 - x6) >> 18)
	dst[7*stride] = sample((x0 - x7) >> 18)
}
