package face

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// TestSamplersMatchReference's views are chosen by hand; these render
// random views of random images, and any view the fuzzer finds, with the
// samplers and with the plain references (raster_test.go), and compare
// every value's bits.

// randomImage is a random image of kind%4: an *image.RGBA, an *image.RGBA
// cut from a larger one (Stride wider than its width), an *image.NRGBA
// (read straight, through at) or an *image.Gray (converted), iw×ih, off
// the origin. One in four lies far from it, where image coordinates keep
// few bits of fraction, so that a position rounded differently moves a
// sample's weights.
func randomImage(rng *rand.Rand, kind, iw, ih int) image.Image {
	r := image.Rect(0, 0, iw, ih).Add(image.Pt(rng.IntN(41)-20, rng.IntN(41)-20))
	if rng.IntN(4) == 0 {
		r = r.Add(image.Pt(1<<(30+rng.IntN(15)), -1<<(30+rng.IntN(15))))
	}
	fill := func(pix []uint8) {
		for i := range pix {
			pix[i] = uint8(rng.IntN(256))
		}
	}
	switch kind % 4 {
	case 0:
		m := image.NewRGBA(r)
		fill(m.Pix)
		return m
	case 1:
		m := image.NewRGBA(image.Rect(r.Min.X-rng.IntN(5), r.Min.Y-rng.IntN(5), r.Max.X+1+rng.IntN(5), r.Max.Y+rng.IntN(5)))
		fill(m.Pix)
		return m.SubImage(r)
	case 2:
		m := image.NewNRGBA(r)
		fill(m.Pix)
		return m
	default:
		m := image.NewGray(r)
		fill(m.Pix)
		return m
	}
}

// randomView is a random view of an image with bounds b onto an ow×oh
// output: axis-aligned or rotated, at a scale that takes 1 to 4 taps
// (sometimes a whole number of pixels, on pixel edges), placed anywhere
// from inside the image to wholly outside it.
func randomView(rng *rand.Rand, b image.Rectangle, aligned bool, ow, oh int) affine {
	sx := []float64{0.3, 1, 2, 3, 4, 6}[rng.IntN(6)] * (0.5 + rng.Float64())
	sy := sx * (0.8 + 0.4*rng.Float64())
	if rng.IntN(4) == 0 { // whole pixels: taps on pixel edges and centres
		sx = float64(1 + rng.IntN(4))
		sy = sx
	}
	if rng.IntN(8) == 0 {
		sx = -sx // mirrored
	}
	m := affine{a: sx, e: sy}
	if !aligned {
		t := rng.Float64() * 2 * math.Pi
		c, s := math.Cos(t), math.Sin(t)
		m = affine{a: sx * c, b: -sy * s, d: sx * s, e: sy * c}
	}
	// Centre the view on a point up to half the image's size (and the
	// view's) beyond its edges.
	span := func(lo, hi int, out float64) float64 {
		d := float64(hi-lo) + out
		return float64(lo) - d/2 + rng.Float64()*(float64(hi-lo)+d)
	}
	ext := math.Max(math.Abs(sx)*float64(ow), sy*float64(oh))
	cx, cy := span(b.Min.X, b.Max.X, ext), span(b.Min.Y, b.Max.Y, ext)
	if rng.IntN(4) == 0 {
		cx, cy = math.Round(cx*2)/2, math.Round(cy*2)/2
	}
	m.c = cx - m.a*float64(ow)/2 - m.b*float64(oh)/2
	m.f = cy - m.d*float64(ow)/2 - m.e*float64(oh)/2
	return m
}

// sameAsReference renders m (ow×oh) of img with crop and, for an
// axis-aligned view, resize, and compares the bits with refRender's.
func sameAsReference(t *testing.T, what string, img image.Image, m affine, ow, oh int) {
	t.Helper()
	got := collect(ow, oh, func(put func(int, float32, float32, float32)) { pixelsOf(img).crop(m, ow, oh, put) })
	sameBits(t, what+" crop", got, refRender(img, m, ow, oh, false))
	if !m.axisAligned() {
		return
	}
	got = collect(ow, oh, func(put func(int, float32, float32, float32)) { pixelsOf(img).resize(m, ow, oh, put) })
	sameBits(t, what+" resize", got, refRender(img, m, ow, oh, m.taps() > 1))
}

// sameBits fails unless got and want hold the same float32 bits.
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d is %v (%#08x), reference %v (%#08x)", what, i,
				got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

func TestSamplersMatchReferenceAtRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	kinds := [4]string{"rgba", "rgba sub-image", "nrgba", "gray"}
	for c := range 2000 {
		kind := c % 4
		img := randomImage(rng, kind, 1+rng.IntN(70), 1+rng.IntN(70))
		ow, oh := 1+rng.IntN(40), 1+rng.IntN(40)
		aligned := c%8 < 5
		m := randomView(rng, img.Bounds(), aligned, ow, oh)
		sameAsReference(t, fmt.Sprintf("%s %v %d×%d %+v", kinds[kind], img.Bounds(), ow, oh, m), img, m, ow, oh)
	}
}

// FuzzSamplersMatchReference is TestSamplersMatchReferenceAtRandom for any
// view: its six coefficients as they come, over a random image from seed.
func FuzzSamplersMatchReference(f *testing.F) {
	f.Add(uint64(1), uint8(0), uint8(30), uint8(20), uint8(16), uint8(12), 2.0, 0.0, 3.5, 0.0, 2.0, -4.0)
	f.Add(uint64(2), uint8(1), uint8(40), uint8(33), uint8(9), uint8(7), 3.3, 0.4, -5.0, -0.4, 3.3, 10.25)
	f.Add(uint64(3), uint8(2), uint8(17), uint8(50), uint8(20), uint8(20), 0.7, 0.0, 1.0, 0.0, 0.7, 2.0)
	f.Add(uint64(4), uint8(3), uint8(25), uint8(25), uint8(31), uint8(5), 1.0, -1.9, 30.0, 1.9, 1.0, -8.0)
	f.Fuzz(func(t *testing.T, seed uint64, kind, iw, ih, ow, oh uint8, a, b, c, d, e, ff float64) {
		img := randomImage(rand.New(rand.NewPCG(seed, 0)), int(kind), 1+int(iw%64), 1+int(ih%64))
		m := affine{a: a, b: b, c: c, d: d, e: e, f: ff}
		sameAsReference(t, fmt.Sprintf("%+v", m), img, m, 1+int(ow%32), 1+int(oh%32))
	})
}
