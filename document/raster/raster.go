// Package raster turns a decoded image into the small float planes the
// document check's image measures work on: luma or RGB, box-averaged down
// to a chosen width, so that every measure sees the same scale whatever the
// camera's resolution, and each measure runs over a few hundred thousand
// pixels instead of tens of millions.
package raster

import (
	"image"
	"math"
)

// Plane is one channel of an image, row-major, values 0–255.
type Plane struct {
	W, H int
	Pix  []float32
}

// New returns a zero plane of w×h.
func New(w, h int) *Plane { return &Plane{W: w, H: h, Pix: make([]float32, w*h)} }

// At returns the value at (x, y), clamping coordinates to the plane's edge.
func (p *Plane) At(x, y int) float32 {
	x = min(max(x, 0), p.W-1)
	y = min(max(y, 0), p.H-1)
	return p.Pix[y*p.W+x]
}

// Set stores v at (x, y), which must be inside the plane.
func (p *Plane) Set(x, y int, v float32) { p.Pix[y*p.W+x] = v }

// Clone returns a copy of p.
func (p *Plane) Clone() *Plane {
	return &Plane{W: p.W, H: p.H, Pix: append([]float32(nil), p.Pix...)}
}

// Sub returns a copy of the part of p inside r (clipped to p).
func (p *Plane) Sub(r image.Rectangle) *Plane {
	r = r.Intersect(image.Rect(0, 0, p.W, p.H))
	out := New(r.Dx(), r.Dy())
	for y := range out.H {
		copy(out.Pix[y*out.W:(y+1)*out.W], p.Pix[(r.Min.Y+y)*p.W+r.Min.X:])
	}
	return out
}

// Sample returns the bilinear interpolation of p at (x, y), pixel centres
// at integer coordinates; outside the plane it extends the edge.
func (p *Plane) Sample(x, y float64) float32 {
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := float32(x-x0), float32(y-y0)
	ix, iy := int(x0), int(y0)
	if ix < 0 || iy < 0 || ix >= p.W-1 || iy >= p.H-1 {
		a := p.At(ix, iy)*(1-fx) + p.At(ix+1, iy)*fx
		b := p.At(ix, iy+1)*(1-fx) + p.At(ix+1, iy+1)*fx
		return a*(1-fy) + b*fy
	}
	// All four neighbours inside: the same sums without the clamping.
	i := iy*p.W + ix
	a := p.Pix[i]*(1-fx) + p.Pix[i+1]*fx
	b := p.Pix[i+p.W]*(1-fx) + p.Pix[i+p.W+1]*fx
	return a*(1-fy) + b*fy
}

// Resize returns p box-averaged (when shrinking) or bilinearly interpolated
// (when growing) to w×h.
func (p *Plane) Resize(w, h int) *Plane {
	sx, sy := float64(p.W)/float64(w), float64(p.H)/float64(h)
	if sx <= 1 && sy <= 1 {
		out := New(w, h)
		for y := range h {
			for x := range w {
				out.Pix[y*w+x] = p.Sample((float64(x)+0.5)*sx-0.5, (float64(y)+0.5)*sy-0.5)
			}
		}
		return out
	}
	b := newBoxer(p.W, p.H, w, h, 1)
	for y := range p.H {
		b.add(y, p.Pix[y*p.W:(y+1)*p.W])
	}
	return b.planes()[0]
}

// Size returns the dimensions a w×h image takes when scaled to width
// (never enlarged), keeping its aspect ratio.
func Size(w, h, width int) (int, int) {
	if width <= 0 || w <= width {
		return w, h
	}
	nh := int(math.Round(float64(h) * float64(width) / float64(w)))
	return width, max(nh, 1)
}

// Luma returns img's luma (BT.601), box-averaged down to width (never
// enlarged; 0 keeps the full size).
func Luma(img image.Image, width int) *Plane {
	return convert(img, width, 1)[0]
}

// RGB returns img's red, green and blue planes, box-averaged down to width
// (never enlarged; 0 keeps the full size).
func RGB(img image.Image, width int) (r, g, b *Plane) {
	ps := convert(img, width, 3)
	return ps[0], ps[1], ps[2]
}

// convert walks img once, a row at a time, and box-averages its luma
// (n = 1) or its RGB (n = 3) down to width. Common decoder outputs are
// read from their pixel buffers; any other image goes through At, which
// is slower but correct.
func convert(img image.Image, width, n int) []*Plane {
	bounds := img.Bounds()
	w, h := bounds.Dx(), bounds.Dy()
	ow, oh := Size(w, h, width)
	bx := newBoxer(w, h, ow, oh, n)
	rows := rowReader(img, n)
	for y := range h {
		dst := bx.rows(y)
		rows(y, dst[0], dst[1], dst[2])
		bx.flush(y)
	}
	return bx.planes()
}

// rowReader returns what converts row y of img (counted from its top) into
// r, g and b, each as wide as img; with n = 1, its luma into r alone.
func rowReader(img image.Image, n int) func(y int, r, g, b []float32) {
	switch m := img.(type) {
	case *image.YCbCr:
		return yCbCrRows(m, n)
	case *image.Gray:
		return grayRows(m)
	case *image.RGBA:
		return rgbaRows(m)
	case *image.NRGBA:
		return nrgbaRows(m)
	}
	return anyRows(img)
}

// emit stores pixel x's channels, or its luma (BT.601) when g is nil (a
// plane of luma alone is being made).
func emit(x int, r, g, b []float32, vr, vg, vb float32) {
	if g == nil {
		r[x] = 0.299*vr + 0.587*vg + 0.114*vb
		return
	}
	r[x], g[x], b[x] = vr, vg, vb
}

// yCbCrRows reads a JPEG's planes: luma is Y itself. A chroma sample's
// offset is the sum of a part that depends on the row only and one that
// depends on the column only (image.YCbCr.COffset), whatever the
// subsampling, so the column parts are worked out once.
func yCbCrRows(m *image.YCbCr, n int) func(y int, r, g, b []float32) {
	o := m.Rect.Min
	if n == 1 {
		return func(y int, r, _, _ []float32) {
			for x, v := range m.Y[m.YOffset(o.X, o.Y+y):][:len(r)] {
				r[x] = float32(v)
			}
		}
	}
	cols := make([]int, m.Rect.Dx())
	for x := range cols {
		cols[x] = m.COffset(o.X+x, o.Y)
	}
	t := newChroma()
	return func(y int, r, g, b []float32) {
		row := m.Y[m.YOffset(o.X, o.Y+y):][:len(r)]
		g, b = g[:len(r)], b[:len(r)]
		cb, cr, c0 := m.Cb, m.Cr, m.COffset(o.X, o.Y+y)
		for x, v := range row {
			ci := c0 + cols[x]
			r[x], g[x], b[x] = t.rgb(v, cb[ci], cr[ci])
		}
	}
}

// chroma holds, for each value of a byte, the float32 a conversion from
// Y′CbCr to RGB starts from: the luma and the chroma less 128, exactly
// (each a whole number), looked up rather than converted. The products
// and sums stay written out as they were, so that a compiler that fuses
// multiply-adds (arm64) fuses the same ones.
type chroma struct {
	y, c [256]float32
}

func newChroma() *chroma {
	t := &chroma{}
	for i := range 256 {
		t.y[i], t.c[i] = float32(i), float32(i)-128
	}
	return t
}

// rgb converts one pixel (JFIF, full range), clamped to 0–255.
func (t *chroma) rgb(y, cb, cr uint8) (r, g, b float32) {
	yy, u, v := t.y[y], t.c[cb], t.c[cr]
	return clamp(yy + 1.402*v), clamp(yy - 0.344136*u - 0.714136*v), clamp(yy + 1.772*u)
}

func grayRows(m *image.Gray) func(y int, r, g, b []float32) {
	return func(y int, r, g, b []float32) {
		for x, v := range m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y+y):][:len(r)] {
			f := float32(v)
			emit(x, r, g, b, f, f, f)
		}
	}
}

func rgbaRows(m *image.RGBA) func(y int, r, g, b []float32) {
	return func(y int, r, g, b []float32) {
		row := m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y+y):][:4*len(r)]
		for x := range r {
			px := row[4*x : 4*x+3]
			emit(x, r, g, b, float32(px[0]), float32(px[1]), float32(px[2]))
		}
	}
}

// nrgbaRows composites straight alpha over white, as a viewer would show
// it.
func nrgbaRows(m *image.NRGBA) func(y int, r, g, b []float32) {
	return func(y int, r, g, b []float32) {
		row := m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y+y):][:4*len(r)]
		for x := range r {
			px := row[4*x : 4*x+4]
			a := float32(px[3]) / 255
			emit(x, r, g, b, float32(px[0])*a+255*(1-a), float32(px[1])*a+255*(1-a), float32(px[2])*a+255*(1-a))
		}
	}
}

func anyRows(img image.Image) func(y int, r, g, b []float32) {
	o := img.Bounds().Min
	return func(y int, r, g, b []float32) {
		for x := range r {
			cr, cg, cb, _ := img.At(o.X+x, o.Y+y).RGBA()
			emit(x, r, g, b, float32(cr)/257, float32(cg)/257, float32(cb)/257)
		}
	}
}

// clamp limits v to 0–255. It branches rather than use min and max, whose
// care for NaN and the sign of zero costs more than the conversion around
// it; they would differ only on −0, which no sum it is given can be.
func clamp(v float32) float32 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return v
}

// boxer accumulates source rows into the destination cells their pixels
// fall in: an area average good enough for shrinking by any factor ≥ 1.
// Each cell adds its pixels in the order of the source, row by row, left
// to right. At the same size it hands out the destination rows
// themselves, and nothing is added or divided.
type boxer struct {
	sw, dw int
	// mapY is the destination row of each source row.
	mapY []int
	// colN and rowN are how many source columns and rows fall in each
	// destination column and row.
	colN, rowN []int
	out        []*Plane
	// scratch holds one source row per channel while it is added.
	scratch  [3][]float32
	identity bool
}

func newBoxer(sw, sh, dw, dh, n int) *boxer {
	b := &boxer{sw: sw, dw: dw, out: make([]*Plane, n), identity: sw == dw && sh == dh}
	for c := range b.out {
		b.out[c] = New(dw, dh)
	}
	if b.identity {
		return b
	}
	_, b.colN = cells(sw, dw)
	b.mapY, b.rowN = cells(sh, dh)
	for c := range n {
		b.scratch[c] = make([]float32, sw)
	}
	return b
}

// divide divides *v by k pixels, none leaving it as it is. A power of two
// is a multiplication by its exact reciprocal, which rounds as the
// division does and costs less.
func divide(v *float32, k int) {
	switch {
	case k <= 0:
	case k&(k-1) == 0:
		*v *= 1 / float32(k)
	default:
		*v /= float32(k)
	}
}

// cells maps each of n source positions to one of m cells (position i to
// cell min(i·m/n, m−1), so each cell's positions follow one another) and
// returns the map and how many positions each cell has.
func cells(n, m int) (to, count []int) {
	to, count = make([]int, n), make([]int, m)
	for i := range n {
		to[i] = min(i*m/n, m-1)
		count[to[i]]++
	}
	return to, count
}

// rows returns where source row y's channels go (nil for those not
// made): the destination rows at the same size, else scratch rows that
// flush adds in.
func (b *boxer) rows(y int) [3][]float32 {
	if !b.identity {
		return b.scratch
	}
	var out [3][]float32
	for c, p := range b.out {
		out[c] = p.Pix[y*b.dw : (y+1)*b.dw]
	}
	return out
}

// flush adds the scratch rows, source row y, to their cells.
func (b *boxer) flush(y int) {
	if b.identity {
		return
	}
	for c, p := range b.out {
		sums := p.Pix[b.mapY[y]*b.dw:][:b.dw]
		src := b.scratch[c][:b.sw]
		// A cell's pixels are a run of the row: sum the run in a
		// register, in the row's order, as adding them one by one to
		// the cell would.
		x := 0
		for dx, n := range b.colN {
			switch n {
			case 1: // shrinking by less than two: runs of one and two
				sums[dx] += src[x]
			case 2:
				sums[dx] = sums[dx] + src[x] + src[x+1]
			default:
				s := sums[dx]
				for _, v := range src[x : x+n] {
					s += v
				}
				sums[dx] = s
			}
			x += n
		}
	}
}

// add adds source row y of a single channel.
func (b *boxer) add(y int, row []float32) {
	copy(b.rows(y)[0], row)
	b.flush(y)
}

// planes divides every cell's sum by its number of pixels and returns the
// planes.
func (b *boxer) planes() []*Plane {
	if b.identity {
		return b.out
	}
	for _, p := range b.out {
		for dy, rn := range b.rowN {
			row := p.Pix[dy*b.dw:][:b.dw]
			for dx, cn := range b.colN {
				divide(&row[dx], rn*cn)
			}
		}
	}
	return b.out
}
