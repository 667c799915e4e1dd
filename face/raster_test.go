package face

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"
)

// The samplers must give the engine's models exactly the inputs they were
// measured with (docs/measurements.md): these references are the plain
// per-sample definitions, reading every pixel through At (or, for
// *image.NRGBA, premultiplying in float), and the fast paths must equal
// them to the bit.

func refAt(img image.Image, x, y int) (float32, float32, float32) {
	if !image.Pt(x, y).In(img.Bounds()) {
		return 0, 0, 0
	}
	if m, ok := img.(*image.NRGBA); ok {
		p := m.Pix[m.PixOffset(x, y):]
		a := float32(p[3]) / 255
		return float32(p[0]) * a, float32(p[1]) * a, float32(p[2]) * a
	}
	R, G, B, _ := img.At(x, y).RGBA()
	return float32(R >> 8), float32(G >> 8), float32(B >> 8)
}

func refBilinear(img image.Image, x, y float64) (float32, float32, float32) {
	x -= 0.5
	y -= 0.5
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := float32(x-x0), float32(y-y0)
	ix, iy := int(x0), int(y0)
	r00, g00, b00 := refAt(img, ix, iy)
	r10, g10, b10 := refAt(img, ix+1, iy)
	r01, g01, b01 := refAt(img, ix, iy+1)
	r11, g11, b11 := refAt(img, ix+1, iy+1)
	w00, w10, w01, w11 := (1-fx)*(1-fy), fx*(1-fy), (1-fx)*fy, fx*fy
	return w00*r00 + w10*r10 + w01*r01 + w11*r11,
		w00*g00 + w10*g10 + w01*g01 + w11*g11,
		w00*b00 + w10*b10 + w01*b01 + w11*b11
}

// refRender is crop (bilinear taps) or, with nearest, resize's shrinking
// box average.
func refRender(img image.Image, m affine, w, h int, nearest bool) []float32 {
	out := make([]float32, 3*w*h)
	n := m.taps()
	inv := 1 / float32(n*n)
	step := 1 / float64(n)
	for v := range h {
		for u := range w {
			var R, G, B float32
			for j := range n {
				fv := float64(v) + (float64(j)+0.5)*step
				for i := range n {
					x, y := m.apply(float64(u)+(float64(i)+0.5)*step, fv)
					var r0, g0, b0 float32
					if nearest {
						r0, g0, b0 = refAt(img, int(math.Floor(x)), int(math.Floor(y)))
					} else {
						r0, g0, b0 = refBilinear(img, x, y)
					}
					R += r0
					G += g0
					B += b0
				}
			}
			k := 3 * (v*w + u)
			out[k], out[k+1], out[k+2] = R*inv, G*inv, B*inv
		}
	}
	return out
}

func collect(w, h int, render func(put func(i int, R, G, B float32))) []float32 {
	out := make([]float32, 3*w*h)
	render(func(i int, R, G, B float32) { out[3*i], out[3*i+1], out[3*i+2] = R, G, B })
	return out
}

// testImages are the layouts the stages meet (a JPEG's YCbCr, PNG's RGBA,
// NRGBA with alpha and grey), off the origin so that Min matters.
func testImages(rng *rand.Rand) map[string]image.Image {
	r := image.Rect(3, 5, 3+61, 5+47)
	rgba, nrgba, gray := image.NewRGBA(r), image.NewNRGBA(r), image.NewGray(r)
	ycc := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
	for _, pix := range [][]uint8{rgba.Pix, nrgba.Pix, gray.Pix, ycc.Y, ycc.Cb, ycc.Cr} {
		for i := range pix {
			pix[i] = uint8(rng.IntN(256))
		}
	}
	for i := 3; i < len(rgba.Pix); i += 4 { // premultiplied: colour ≤ alpha
		rgba.Pix[i] = 255
	}
	pal := image.NewPaletted(r, color.Palette{color.RGBA{10, 20, 30, 255}, color.NRGBA{200, 100, 50, 128}})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(rng.IntN(2))
	}
	return map[string]image.Image{"rgba": rgba, "nrgba": nrgba, "gray": gray, "ycbcr": ycc, "paletted": pal}
}

func TestSamplersMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rot := func(deg, s, cx, cy float64) affine { // rotate and scale about (cx, cy)
		c, n := s*math.Cos(deg*math.Pi/180), s*math.Sin(deg*math.Pi/180)
		return affine{a: c, b: -n, c: cx, d: n, e: c, f: cy}
	}
	views := map[string]affine{
		"inside shrink 2":     boxView(10, 12, 40, 42, 15, 15),
		"inside shrink 3.4":   boxView(5.3, 6.1, 56.7, 49.2, 15, 13),
		"over the edge":       boxView(-20.5, -11.2, 80.4, 70.9, 24, 24),
		"enlarge":             boxView(20.2, 20.7, 30.1, 29.9, 32, 32),
		"whole image":         boxView(3, 5, 64, 52, 16, 12),
		"rotated":             rot(17, 1.7, 8, 2),
		"rotated, off edge":   rot(-40, 3.1, -10, 30),
		"shrink capped at 4x": boxView(-100, -100, 200, 200, 10, 10),
	}
	for name, img := range testImages(rng) {
		for view, m := range views {
			w, h := 24, 20
			got := collect(w, h, func(put func(int, float32, float32, float32)) { pixelsOf(img).crop(m, w, h, put) })
			same(t, name+" crop "+view, got, refRender(img, m, w, h, false))
			if !m.axisAligned() {
				continue
			}
			nearest := m.taps() > 1
			got = collect(w, h, func(put func(int, float32, float32, float32)) { pixelsOf(img).resize(m, w, h, put) })
			same(t, name+" resize "+view, got, refRender(img, m, w, h, nearest))
		}
	}
}

func same(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("%s: value %d is %v, reference %v", what, i, got[i], want[i])
			return
		}
	}
}
