package face

import (
	"image"
	"image/color"
	"math"
)

// raster reads RGB pixels from an image.Image, without going through
// color.Color for the layouts decoders produce, and samples it with black
// outside the image (as an affine warp with a constant border).
type raster struct {
	b     image.Rectangle
	ycc   *image.YCbCr
	rgba  *image.RGBA
	nrgba *image.NRGBA
	gray  *image.Gray
	img   image.Image
}

func newRaster(img image.Image) *raster {
	r := &raster{b: img.Bounds(), img: img}
	switch m := img.(type) {
	case *image.YCbCr:
		r.ycc = m
	case *image.RGBA:
		r.rgba = m
	case *image.NRGBA:
		r.nrgba = m
	case *image.Gray:
		r.gray = m
	}
	return r
}

// at reads pixel (x, y), black outside the image. A transparent pixel reads
// as its colour over black.
func (r *raster) at(x, y int) (float32, float32, float32) {
	if x < r.b.Min.X || y < r.b.Min.Y || x >= r.b.Max.X || y >= r.b.Max.Y {
		return 0, 0, 0
	}
	switch {
	case r.ycc != nil:
		m := r.ycc
		ci := m.COffset(x, y)
		R, G, B := color.YCbCrToRGB(m.Y[m.YOffset(x, y)], m.Cb[ci], m.Cr[ci])
		return float32(R), float32(G), float32(B)
	case r.rgba != nil:
		p := r.rgba.Pix[r.rgba.PixOffset(x, y):]
		return float32(p[0]), float32(p[1]), float32(p[2])
	case r.nrgba != nil:
		p := r.nrgba.Pix[r.nrgba.PixOffset(x, y):]
		a := float32(p[3]) / 255
		return float32(p[0]) * a, float32(p[1]) * a, float32(p[2]) * a
	case r.gray != nil:
		v := float32(r.gray.Pix[r.gray.PixOffset(x, y)])
		return v, v, v
	}
	R, G, B, _ := r.img.At(x, y).RGBA()
	return float32(R >> 8), float32(G >> 8), float32(B >> 8)
}

// source is anything pixels can be read from; black outside.
type source interface {
	at(x, y int) (R, G, B float32)
}

// bilinear samples p at continuous position (x, y), where pixel (i, j)
// covers [i, i+1) × [j, j+1).
func bilinear[P source](p P, x, y float64) (float32, float32, float32) {
	x -= 0.5
	y -= 0.5
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := float32(x-x0), float32(y-y0)
	ix, iy := int(x0), int(y0)
	r00, g00, b00 := p.at(ix, iy)
	r10, g10, b10 := p.at(ix+1, iy)
	r01, g01, b01 := p.at(ix, iy+1)
	r11, g11, b11 := p.at(ix+1, iy+1)
	w00, w10, w01, w11 := (1-fx)*(1-fy), fx*(1-fy), (1-fx)*fy, fx*fy
	return w00*r00 + w10*r10 + w01*r01 + w11*r11,
		w00*g00 + w10*g10 + w01*g01 + w11*g11,
		w00*b00 + w10*b10 + w01*b01 + w11*b11
}

// affine maps output pixel coordinates to image coordinates:
// x = a·u + b·v + c, y = d·u + e·v + f.
type affine struct{ a, b, c, d, e, f float64 }

func (m affine) apply(u, v float64) (float64, float64) {
	return m.a*u + m.b*v + m.c, m.d*u + m.e*v + m.f
}

// taps is how many samples per axis average one output pixel: ⌈s⌉ (at most
// 4) where the view shrinks the image by s, so that small inputs cut from
// large photos do not alias; 1 where it keeps or enlarges the scale.
func (m affine) taps() int {
	scale := math.Max(math.Hypot(m.a, m.d), math.Hypot(m.b, m.e))
	return max(1, min(int(math.Ceil(scale-1e-9)), 4))
}

// resize renders a w×h view of the image through m (a whole-image resize,
// for the detector) and calls put for each output pixel in row-major order.
// Shrinking averages n×n single pixels per output pixel, which reads the
// (possibly huge) image in place; otherwise it interpolates bilinearly.
func (r *raster) resize(m affine, w, h int, put func(i int, R, G, B float32)) {
	n := m.taps()
	inv := 1 / float32(n*n)
	step := 1 / float64(n)
	for v := 0; v < h; v++ {
		for u := 0; u < w; u++ {
			if n == 1 {
				x, y := m.apply(float64(u)+0.5, float64(v)+0.5)
				R, G, B := bilinear(r, x, y)
				put(v*w+u, R, G, B)
				continue
			}
			var R, G, B float32
			for j := 0; j < n; j++ {
				fv := float64(v) + (float64(j)+0.5)*step
				for i := 0; i < n; i++ {
					x, y := m.apply(float64(u)+(float64(i)+0.5)*step, fv)
					r0, g0, b0 := r.at(int(math.Floor(x)), int(math.Floor(y)))
					R += r0
					G += g0
					B += b0
				}
			}
			put(v*w+u, R*inv, G*inv, B*inv)
		}
	}
}

// centredRGB returns a put function for resize and crop that fills in as
// three planes of len(in)/3 values, R, G then B, each scaled to
// (v−127)/128: the input the detector and the feature model take.
func centredRGB(in []float32) func(i int, R, G, B float32) {
	plane := len(in) / 3
	return func(i int, R, G, B float32) {
		in[i] = (R - 127) / 128
		in[plane+i] = (G - 127) / 128
		in[2*plane+i] = (B - 127) / 128
	}
}

// crop renders a w×h view of the image through m (a face crop placed by a
// box or by landmarks) like resize, but with bilinear taps, so that the crop
// moves continuously with the points that place it. The part of the image
// under the crop is converted once, since each of its pixels is read many
// times.
func (r *raster) crop(m affine, w, h int, put func(i int, R, G, B float32)) {
	p := r.plane(m, w, h)
	n := m.taps()
	inv := 1 / float32(n*n)
	step := 1 / float64(n)
	for v := 0; v < h; v++ {
		for u := 0; u < w; u++ {
			var R, G, B float32
			for j := 0; j < n; j++ {
				fv := float64(v) + (float64(j)+0.5)*step
				for i := 0; i < n; i++ {
					x, y := m.apply(float64(u)+(float64(i)+0.5)*step, fv)
					r0, g0, b0 := bilinear(p, x, y)
					R += r0
					G += g0
					B += b0
				}
			}
			put(v*w+u, R*inv, G*inv, B*inv)
		}
	}
}

// plane is a rectangle of an image converted to RGB floats.
type plane struct {
	rect image.Rectangle
	pix  []float32 // R, G, B per pixel, row-major
}

// plane converts the part of the image that a w×h view through m can read.
func (r *raster) plane(m affine, w, h int) *plane {
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, c := range [4][2]float64{{0, 0}, {float64(w), 0}, {0, float64(h)}, {float64(w), float64(h)}} {
		x, y := m.apply(c[0], c[1])
		minX, minY = math.Min(minX, x), math.Min(minY, y)
		maxX, maxY = math.Max(maxX, x), math.Max(maxY, y)
	}
	// One pixel of margin for the bilinear neighbours, one for rounding.
	rect := image.Rect(int(math.Floor(minX))-2, int(math.Floor(minY))-2,
		int(math.Ceil(maxX))+2, int(math.Ceil(maxY))+2).Intersect(r.b)
	p := &plane{rect: rect, pix: make([]float32, 3*rect.Dx()*rect.Dy())}
	i := 0
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			p.pix[i], p.pix[i+1], p.pix[i+2] = r.at(x, y)
			i += 3
		}
	}
	return p
}

func (p *plane) at(x, y int) (float32, float32, float32) {
	if x < p.rect.Min.X || y < p.rect.Min.Y || x >= p.rect.Max.X || y >= p.rect.Max.Y {
		return 0, 0, 0
	}
	i := 3 * ((y-p.rect.Min.Y)*p.rect.Dx() + x - p.rect.Min.X)
	return p.pix[i], p.pix[i+1], p.pix[i+2]
}

// boxView maps a w×h output onto the image rectangle [x0,x1)×[y0,y1).
func boxView(x0, y0, x1, y1 float64, w, h int) affine {
	return affine{a: (x1 - x0) / float64(w), c: x0, e: (y1 - y0) / float64(h), f: y0}
}
