package face

import "math"

// resize renders a w×h view of the image through m (a whole-image resize,
// for the detector) and calls put for each output pixel in row-major order.
// Shrinking averages n×n single pixels per output pixel, which reads the
// (possibly huge) image in place; otherwise it interpolates bilinearly.
// The view must be axis-aligned (boxView).
func (p *pixels) resize(m affine, w, h int, put func(i int, R, G, B float32)) {
	n := m.taps()
	if n == 1 {
		p.crop(m, w, h, put)
		return
	}
	// The pixel under each sample: floor of its position on each axis.
	step := 1 / float64(n)
	xs, ys := make([]int, w*n), make([]int, h*n)
	for u := range w {
		for i := range n {
			x, _ := m.apply(offset(u, i, step), 0)
			xs[u*n+i] = int(math.Floor(x))
		}
	}
	for v := range h {
		for j := range n {
			_, y := m.apply(0, offset(v, j, step))
			ys[v*n+j] = int(math.Floor(y))
		}
	}
	if p.straight {
		p.boxes(xs, ys, n, w, put)
		return
	}
	p.boxSums(xs, ys, n, w, put)
}

// boxes averages, for each output pixel, the n×n pixels at its columns in
// xs and rows in ys (n each, output pixel by output pixel), rows outer.
func (p *pixels) boxes(xs, ys []int, n, w int, put func(i int, R, G, B float32)) {
	inv := 1 / float32(n*n)
	for v := range len(ys) / n {
		rows := ys[v*n : v*n+n]
		for u := range w {
			cols := xs[u*n : u*n+n]
			var R, G, B float32
			for _, y := range rows {
				for _, x := range cols {
					r0, g0, b0 := p.at(x, y)
					R += r0
					G += g0
					B += b0
				}
			}
			put(v*w+u, R*inv, G*inv, B*inv)
		}
	}
}

// boxSums is boxes for an *image.RGBA, summed in integers straight from the
// pixel slice. Each term is an integer of 0–255 and there are at most 16,
// so every partial sum is exact in float32 and boxes' float sums, in any
// order, equal these.
func (p *pixels) boxSums(xs, ys []int, n, w int, put func(i int, R, G, B float32)) {
	cols := make([]int, len(xs)) // byte offset in a row, or −1 outside
	for k, x := range xs {
		cols[k] = -1
		if x >= p.rect.Min.X && x < p.rect.Max.X {
			cols[k] = (x - p.rect.Min.X) * 4
		}
	}
	inv := 1 / float32(n*n)
	sums := make([]uint32, 3*w)
	for v := range len(ys) / n {
		clear(sums)
		for _, y := range ys[v*n : v*n+n] {
			if y < p.rect.Min.Y || y >= p.rect.Max.Y {
				continue
			}
			row := p.pix[(y-p.rect.Min.Y)*p.stride:]
			for u := range w {
				var r, g, b uint32
				for _, c := range cols[u*n : u*n+n] {
					if c >= 0 {
						q := row[c : c+3 : c+3]
						r, g, b = r+uint32(q[0]), g+uint32(q[1]), b+uint32(q[2])
					}
				}
				sums[3*u] += r
				sums[3*u+1] += g
				sums[3*u+2] += b
			}
		}
		for u := range w {
			put(v*w+u, float32(sums[3*u])*inv, float32(sums[3*u+1])*inv, float32(sums[3*u+2])*inv)
		}
	}
}
