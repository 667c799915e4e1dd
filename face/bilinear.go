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

// bilinear interpolates between pixels (tx.i, ty.i) and (tx.i+1, ty.i+1)
// with the taps' weights.
func (p *pixels) bilinear(tx, ty tap) (float32, float32, float32) {
	return p.sum([]tap{ty}, []tap{tx})
}

// sum adds up the bilinear samples at every pair of a row tap and a column
// tap, rows outer, as crop's average takes them. A 2×2 block inside an
// *image.RGBA is read straight from the slice (written out here rather
// than called, as the compiler does not inline it); any other goes through
// at, with the same weights and order of operations.
func (p *pixels) sum(rows, cols []tap) (R, G, B float32) {
	s := p.stride
	for _, ty := range rows {
		for _, tx := range cols {
			w00, w10, w01, w11 := tx.g*ty.g, tx.f*ty.g, tx.g*ty.f, tx.f*ty.f
			if o := tx.off + ty.off; tx.off >= 0 && ty.off >= 0 {
				q0, q1 := p.pix[o:o+8:o+8], p.pix[o+s:o+s+8:o+s+8]
				R += w00*float32(q0[0]) + w10*float32(q0[4]) + w01*float32(q1[0]) + w11*float32(q1[4])
				G += w00*float32(q0[1]) + w10*float32(q0[5]) + w01*float32(q1[1]) + w11*float32(q1[5])
				B += w00*float32(q0[2]) + w10*float32(q0[6]) + w01*float32(q1[2]) + w11*float32(q1[6])
				continue
			}
			r00, g00, b00 := p.at(tx.i, ty.i)
			r10, g10, b10 := p.at(tx.i+1, ty.i)
			r01, g01, b01 := p.at(tx.i, ty.i+1)
			r11, g11, b11 := p.at(tx.i+1, ty.i+1)
			R += w00*r00 + w10*r10 + w01*r01 + w11*r11
			G += w00*g00 + w10*g10 + w01*g01 + w11*g11
			B += w00*b00 + w10*b10 + w01*b01 + w11*b11
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

// crop renders a w×h view of the image through m (a face crop placed by a
// box or by landmarks) like resize, but with bilinear taps, so that the crop
// moves continuously with the points that place it.
func (p *pixels) crop(m affine, w, h int, put func(i int, R, G, B float32)) {
	if m.axisAligned() {
		p.cropAligned(m, w, h, put)
		return
	}
	n := m.taps()
	inv := 1 / float32(n*n)
	step := 1 / float64(n)
	for v := range h {
		for u := range w {
			var R, G, B float32
			for j := range n {
				fv := offset(v, j, step)
				for i := range n {
					x, y := m.apply(offset(u, i, step), fv)
					r0, g0, b0 := p.bilinear(p.xTap(x), p.yTap(y))
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
// positions computed once rather than for every sample.
func (p *pixels) cropAligned(m affine, w, h int, put func(i int, R, G, B float32)) {
	n := m.taps()
	inv := 1 / float32(n*n)
	xs := axisTaps(w, n, func(t float64) float64 { x, _ := m.apply(t, 0); return x }, p.xTap)
	ys := axisTaps(h, n, func(t float64) float64 { _, y := m.apply(0, t); return y }, p.yTap)
	for v := range h {
		rows := ys[v*n : v*n+n]
		for u := range w {
			cols := xs[u*n : u*n+n]
			R, G, B := p.sum(rows, cols)
			put(v*w+u, R*inv, G*inv, B*inv)
		}
	}
}
