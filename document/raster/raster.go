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
	a := p.At(ix, iy)*(1-fx) + p.At(ix+1, iy)*fx
	b := p.At(ix, iy+1)*(1-fx) + p.At(ix+1, iy+1)*fx
	return a*(1-fy) + b*fy
}

// Resize returns p box-averaged (when shrinking) or bilinearly interpolated
// (when growing) to w×h.
func (p *Plane) Resize(w, h int) *Plane {
	out := New(w, h)
	sx, sy := float64(p.W)/float64(w), float64(p.H)/float64(h)
	if sx <= 1 && sy <= 1 {
		for y := range h {
			for x := range w {
				out.Pix[y*w+x] = p.Sample((float64(x)+0.5)*sx-0.5, (float64(y)+0.5)*sy-0.5)
			}
		}
		return out
	}
	b := newBoxer(p.W, p.H, w, h)
	for y := range p.H {
		for x := range p.W {
			b.add(x, y, p.Pix[y*p.W+x], 0, 0)
		}
	}
	return b.planes(1)[0]
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

// convert walks img once, feeding each pixel to a box averager: luma only
// (n = 1) or RGB (n = 3). Common decoder outputs are read directly; any
// other image goes through At, which is slower but correct.
func convert(img image.Image, width, n int) []*Plane {
	bounds := img.Bounds()
	w, h := bounds.Dx(), bounds.Dy()
	ow, oh := Size(w, h, width)
	bx := newBoxer(w, h, ow, oh)
	emit := func(x, y int, r, g, b float32) {
		if n == 1 {
			bx.add(x, y, 0.299*r+0.587*g+0.114*b, 0, 0)
		} else {
			bx.add(x, y, r, g, b)
		}
	}
	switch m := img.(type) {
	case *image.YCbCr:
		for y := range h {
			for x := range w {
				px, py := bounds.Min.X+x, bounds.Min.Y+y
				yy := float32(m.Y[m.YOffset(px, py)])
				if n == 1 {
					bx.add(x, y, yy, 0, 0)
					continue
				}
				ci := m.COffset(px, py)
				cb, cr := float32(m.Cb[ci])-128, float32(m.Cr[ci])-128
				emit(x, y, clamp(yy+1.402*cr), clamp(yy-0.344136*cb-0.714136*cr), clamp(yy+1.772*cb))
			}
		}
	case *image.Gray:
		for y := range h {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			for x, v := range row {
				emit(x, y, float32(v), float32(v), float32(v))
			}
		}
	case *image.RGBA:
		for y := range h {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := range w {
				emit(x, y, float32(row[4*x]), float32(row[4*x+1]), float32(row[4*x+2]))
			}
		}
	case *image.NRGBA:
		// Straight alpha: composite over white, as a viewer would show it.
		for y := range h {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := range w {
				a := float32(row[4*x+3]) / 255
				emit(x, y, float32(row[4*x])*a+255*(1-a), float32(row[4*x+1])*a+255*(1-a), float32(row[4*x+2])*a+255*(1-a))
			}
		}
	default:
		for y := range h {
			for x := range w {
				r, g, b, _ := img.At(bounds.Min.X+x, bounds.Min.Y+y).RGBA()
				emit(x, y, float32(r)/257, float32(g)/257, float32(b)/257)
			}
		}
	}
	return bx.planes(n)
}

func clamp(v float32) float32 { return min(max(v, 0), 255) }

// boxer accumulates source pixels into the destination cell they fall in:
// an area average good enough for shrinking by any factor ≥ 1.
type boxer struct {
	sw, sh, dw, dh int
	mapX, mapY     []int
	sum            [3][]float32
	count          []float32
}

func newBoxer(sw, sh, dw, dh int) *boxer {
	b := &boxer{sw: sw, sh: sh, dw: dw, dh: dh, mapX: make([]int, sw), mapY: make([]int, sh), count: make([]float32, dw*dh)}
	for x := range sw {
		b.mapX[x] = min(x*dw/sw, dw-1)
	}
	for y := range sh {
		b.mapY[y] = min(y*dh/sh, dh-1)
	}
	for i := range b.sum {
		b.sum[i] = make([]float32, dw*dh)
	}
	return b
}

func (b *boxer) add(x, y int, v0, v1, v2 float32) {
	i := b.mapY[y]*b.dw + b.mapX[x]
	b.sum[0][i] += v0
	b.sum[1][i] += v1
	b.sum[2][i] += v2
	b.count[i]++
}

func (b *boxer) planes(n int) []*Plane {
	out := make([]*Plane, n)
	for c := range n {
		p := &Plane{W: b.dw, H: b.dh, Pix: b.sum[c]}
		for i, k := range b.count {
			if k > 0 {
				p.Pix[i] /= k
			}
		}
		out[c] = p
	}
	return out
}
