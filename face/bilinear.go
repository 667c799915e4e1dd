package face

import "math"

// split maps a continuous coordinate, where pixel i covers [i, i+1), to
// the pixel whose centre is at or before it and the fraction of the way to
// the next pixel's centre: bilinear's neighbours and weight on one axis.
func split(x float64) (int, float32) {
	x -= 0.5
	x0 := math.Floor(x)
	return int(x0), float32(x - x0)
}

// tap is where a bilinear sample falls along one axis: between pixels i
// and i+1, a fraction f of the way (and g = 1−f). off is the byte offset
// of pixel i along the axis in the pixel slice when both pixels are inside
// the image (and it is not straight alpha), else −1.
type tap struct {
	i, off int
	f, g   float32
}

// newTap is the tap at coordinate i + f along an axis whose pixels run
// from lo to hi (exclusive), unit bytes apart.
func newTap(i int, f float32, lo, hi, unit int, direct bool) tap {
	t := tap{i: i, off: -1, f: f, g: 1 - f}
	if direct && i >= lo && i+1 < hi {
		t.off = (i - lo) * unit
	}
	return t
}

// byteFloat is float32(b) for every byte b, looked up rather than
// converted: the same exact value, one load instead of a conversion.
var byteFloat = func() (t [256]float32) {
	for b := range t {
		t[b] = float32(b)
	}
	return t
}()

// sample is the bilinear sample between pixels (tx.i, ty.i) and
// (tx.i+1, ty.i+1) with the taps' weights: read straight from an
// *image.RGBA's pixel slice when both taps allow, else through edge. (crop
// once took it as a sum of one, 0 + s: every weight and pixel is at least
// +0, or NaN for a NaN position, so that is s to the bit.)
func (p *pixels) sample(tx, ty tap) (float32, float32, float32) {
	if tx.off < 0 || ty.off < 0 {
		return p.edge(tx, ty)
	}
	s := p.stride
	o := tx.off + ty.off
	q0, q1 := p.pix[o:o+8:o+8], p.pix[o+s:o+s+8:o+s+8]
	w00, w10, w01, w11 := tx.g*ty.g, tx.f*ty.g, tx.g*ty.f, tx.f*ty.f
	return w00*byteFloat[q0[0]] + w10*byteFloat[q0[4]] + w01*byteFloat[q1[0]] + w11*byteFloat[q1[4]],
		w00*byteFloat[q0[1]] + w10*byteFloat[q0[5]] + w01*byteFloat[q1[1]] + w11*byteFloat[q1[5]],
		w00*byteFloat[q0[2]] + w10*byteFloat[q0[6]] + w01*byteFloat[q1[2]] + w11*byteFloat[q1[6]]
}

// edge is the bilinear sample between pixels (tx.i, ty.i) and
// (tx.i+1, ty.i+1) read through at: for a block that crosses the image's
// edge, or any block of straight alpha. Its weights and order of
// operations are those of the direct reads. A block wholly outside the
// image reads black, 0 in all three channels, so its three sums are one
// and the same, taken once.
func (p *pixels) edge(tx, ty tap) (float32, float32, float32) {
	w00, w10, w01, w11 := tx.g*ty.g, tx.f*ty.g, tx.g*ty.f, tx.f*ty.f
	if p.outside(tx, ty) {
		z := w00*0 + w10*0 + w01*0 + w11*0
		return z, z, z
	}
	r00, g00, b00 := p.at(tx.i, ty.i)
	r10, g10, b10 := p.at(tx.i+1, ty.i)
	r01, g01, b01 := p.at(tx.i, ty.i+1)
	r11, g11, b11 := p.at(tx.i+1, ty.i+1)
	return w00*r00 + w10*r10 + w01*r01 + w11*r11,
		w00*g00 + w10*g10 + w01*g01 + w11*g11,
		w00*b00 + w10*b10 + w01*b01 + w11*b11
}

// outside reports whether the block at taps tx, ty lies wholly outside
// the image: both its columns, or both its rows.
func (p *pixels) outside(tx, ty tap) bool {
	r := p.rect
	return tx.i < r.Min.X-1 || tx.i >= r.Max.X || ty.i < r.Min.Y-1 || ty.i >= r.Max.Y
}

// sum adds up the bilinear samples at every pair of a row tap and a column
// tap, rows outer, as crop's average takes them.
func (p *pixels) sum(rows, cols []tap) (R, G, B float32) {
	for _, ty := range rows {
		for _, tx := range cols {
			r, g, b := p.sample(tx, ty)
			R += r
			G += g
			B += b
		}
	}
	return R, G, B
}

// sumInside is sum where every pair's block is read straight from an
// *image.RGBA: the same samples added in the same order, with each row
// tap's two image rows found once and sample's reads written out here
// rather than called, as the compiler does not inline it.
func (p *pixels) sumInside(rows, cols []tap) (R, G, B float32) {
	for _, ty := range rows {
		r0, r1 := p.pix[ty.off:], p.pix[ty.off+p.stride:]
		for _, tx := range cols {
			c := tx.off
			q0, q1 := r0[c:c+8:c+8], r1[c:c+8:c+8]
			w00, w10, w01, w11 := tx.g*ty.g, tx.f*ty.g, tx.g*ty.f, tx.f*ty.f
			R += w00*byteFloat[q0[0]] + w10*byteFloat[q0[4]] + w01*byteFloat[q1[0]] + w11*byteFloat[q1[4]]
			G += w00*byteFloat[q0[1]] + w10*byteFloat[q0[5]] + w01*byteFloat[q1[1]] + w11*byteFloat[q1[5]]
			B += w00*byteFloat[q0[2]] + w10*byteFloat[q0[6]] + w01*byteFloat[q1[2]] + w11*byteFloat[q1[6]]
		}
	}
	return R, G, B
}

// xTap and yTap are the taps at image coordinate x, or y.
func (p *pixels) xTap(x float64) tap {
	i, f := split(x)
	return newTap(i, f, p.rect.Min.X, p.rect.Max.X, 4, !p.straight)
}

func (p *pixels) yTap(y float64) tap {
	i, f := split(y)
	return newTap(i, f, p.rect.Min.Y, p.rect.Max.Y, p.stride, !p.straight)
}

// axisTaps returns the n taps of each of size output pixels along one
// axis of an axis-aligned view, coord mapping output to image coordinates.
func axisTaps(size, n int, coord func(t float64) float64, at func(float64) tap) []tap {
	step := 1 / float64(n)
	out := make([]tap, size*n)
	for o := range size {
		for k := range n {
			out[o*n+k] = at(coord(offset(o, k, step)))
		}
	}
	return out
}

// direct reports, for each of the len(ts)/n output pixels along an axis,
// whether all its n taps are read directly.
func direct(ts []tap, n int) []bool {
	out := make([]bool, len(ts)/n)
	for o := range out {
		out[o] = true
		for _, t := range ts[o*n : o*n+n] {
			out[o] = out[o] && t.off >= 0
		}
	}
	return out
}

// crop renders a w×h view of the image through m (a face crop placed by a
// box or by landmarks) like resize, but with bilinear taps, so that the crop
// moves continuously with the points that place it.
//
// The products m.a·u and m.d·u of apply are taken once per column sample,
// and m.b·v and m.e·v once per row sample; the sums are then apply's own,
// (m.a·u + m.b·v) + m.c, so every position is the same to the bit.
func (p *pixels) crop(m affine, w, h int, put func(i int, R, G, B float32)) {
	if m.axisAligned() {
		p.cropAligned(m, w, h, put)
		return
	}
	n := m.taps()
	inv := 1 / float32(n*n)
	step := 1 / float64(n)
	au, du := make([]float64, w*n), make([]float64, w*n)
	for k := range au {
		t := offset(k/n, k%n, step)
		au[k], du[k] = m.a*t, m.d*t
	}
	bv, ev := make([]float64, n), make([]float64, n)
	for v := range h {
		for j := range n {
			t := offset(v, j, step)
			bv[j], ev[j] = m.b*t, m.e*t
		}
		for u := range w {
			var R, G, B float32
			for j := range n {
				for k := u * n; k < u*n+n; k++ {
					r0, g0, b0 := p.sample(p.xTap(au[k]+bv[j]+m.c), p.yTap(du[k]+ev[j]+m.f))
					R += r0
					G += g0
					B += b0
				}
			}
			put(v*w+u, R*inv, G*inv, B*inv)
		}
	}
}

// cropAligned is crop for an axis-aligned view, with each axis's sample
// positions computed once rather than for every sample. Output pixels
// whose blocks all lie inside an *image.RGBA take sumInside.
func (p *pixels) cropAligned(m affine, w, h int, put func(i int, R, G, B float32)) {
	n := m.taps()
	inv := 1 / float32(n*n)
	xs := axisTaps(w, n, func(t float64) float64 { x, _ := m.apply(t, 0); return x }, p.xTap)
	ys := axisTaps(h, n, func(t float64) float64 { _, y := m.apply(0, t); return y }, p.yTap)
	xIn, yIn := direct(xs, n), direct(ys, n)
	for v := range h {
		rows := ys[v*n : v*n+n]
		for u := range w {
			cols := xs[u*n : u*n+n]
			var R, G, B float32
			if yIn[v] && xIn[u] {
				R, G, B = p.sumInside(rows, cols)
			} else {
				R, G, B = p.sum(rows, cols)
			}
			put(v*w+u, R*inv, G*inv, B*inv)
		}
	}
}
