package face

import (
	"image"
	"math"
)

// pixels is an image as the samplers read it: 8-bit RGB at four bytes a
// pixel, read in place from the pixel slice, never through image.Image.At
// or color.Color. It holds an *image.RGBA's pixels (Prepare converts every
// other layout to one exactly), or an *image.NRGBA's, whose colour is
// scaled by its alpha as premultiplying does. It reads black outside the
// image, as an affine warp with a constant border.
type pixels struct {
	pix      []uint8
	stride   int
	rect     image.Rectangle
	straight bool // *image.NRGBA: colour not yet scaled by alpha
}

// pixelsOf wraps img's pixels, converting it to *image.RGBA first unless
// it is one or an *image.NRGBA (see Prepare).
func pixelsOf(img image.Image) *pixels {
	if m, ok := img.(*image.NRGBA); ok {
		return &pixels{pix: m.Pix, stride: m.Stride, rect: m.Rect, straight: true}
	}
	m := toRGBA(img)
	return &pixels{pix: m.Pix, stride: m.Stride, rect: m.Rect}
}

// at reads pixel (x, y), black outside the image. A transparent pixel reads
// as its colour over black.
func (p *pixels) at(x, y int) (float32, float32, float32) {
	if x < p.rect.Min.X || y < p.rect.Min.Y || x >= p.rect.Max.X || y >= p.rect.Max.Y {
		return 0, 0, 0
	}
	i := (y-p.rect.Min.Y)*p.stride + (x-p.rect.Min.X)*4
	q := p.pix[i : i+4 : i+4]
	if p.straight {
		a := float32(q[3]) / 255
		return float32(q[0]) * a, float32(q[1]) * a, float32(q[2]) * a
	}
	return float32(q[0]), float32(q[1]), float32(q[2])
}

// affine maps output pixel coordinates to image coordinates:
// x = a·u + b·v + c, y = d·u + e·v + f.
type affine struct{ a, b, c, d, e, f float64 }

func (m affine) apply(u, v float64) (float64, float64) {
	return m.a*u + m.b*v + m.c, m.d*u + m.e*v + m.f
}

// axisAligned reports whether m neither rotates nor shears: each output
// column then samples the same image columns on every row, and each row
// the same image rows, so the positions can be computed once per axis.
// Since b and d are exactly 0, apply's x does not depend on v nor its y on
// u, to the bit.
func (m affine) axisAligned() bool { return m.b == 0 && m.d == 0 }

// taps is how many samples per axis average one output pixel: ⌈s⌉ (at most
// 4) where the view shrinks the image by s, so that small inputs cut from
// large photos do not alias; 1 where it keeps or enlarges the scale.
func (m affine) taps() int {
	scale := math.Max(math.Hypot(m.a, m.d), math.Hypot(m.b, m.e))
	return max(1, min(int(math.Ceil(scale-1e-9)), 4))
}

// offset is where sample k of n falls in output pixel o along one axis.
func offset(o, k int, step float64) float64 { return float64(o) + (float64(k)+0.5)*step }

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

// boxView maps a w×h output onto the image rectangle [x0,x1)×[y0,y1).
func boxView(x0, y0, x1, y1 float64, w, h int) affine {
	return affine{a: (x1 - x0) / float64(w), c: x0, e: (y1 - y0) / float64(h), f: y0}
}
