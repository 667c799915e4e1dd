package ocrb_test

import (
	"fmt"
	"image"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/face/synth"
)

// degradation is one way a phone photo of a document goes wrong, applied
// to a card rendered at 12 pixels per millimetre (MRZ pitch ≈ 30 pixels).
type degradation struct {
	name  string
	apply func(img image.Image, seed uint64) (image.Image, error)
	// weight renders the MRZ heavier or lighter than the font
	// (cardimage.Options.Weight).
	weight int
}

func none(img image.Image, _ uint64) (image.Image, error) { return img, nil }

// photo is a hand-held phone photo: slightly tilted, a little soft,
// smaller, noisy, compressed.
func photo(img image.Image, seed uint64) (image.Image, error) {
	img = cardimage.Rotate(img, []float64{-2, -1, 1, 2}[seed%4])
	img = cardimage.Scale(cardimage.Blur(img, 1.2), 0.6)
	return synth.JPEG(cardimage.Noise(img, 5, seed), 60)
}

var degradations = []degradation{
	{name: "clean", apply: none},
	{name: "blur", apply: func(img image.Image, _ uint64) (image.Image, error) { return cardimage.Blur(img, 2), nil }},
	// 0.4: pitch ≈ 12 pixels, the card about 490 pixels wide.
	{name: "lowres", apply: func(img image.Image, _ uint64) (image.Image, error) { return cardimage.Scale(img, 0.4), nil }},
	{name: "rotate", apply: func(img image.Image, seed uint64) (image.Image, error) {
		return cardimage.Rotate(img, []float64{-3, -1.5, 2, 3}[seed%4]), nil
	}},
	{name: "jpeg", apply: func(img image.Image, seed uint64) (image.Image, error) {
		return synth.JPEG(cardimage.Noise(img, 8, seed), 30)
	}},
	// Past what the quality gates let through: σ = 3 fails the focus
	// gate, a quarter of the resolution (pitch ≈ 7.6 pixels) the
	// resolution gate.
	{name: "blur3", apply: func(img image.Image, _ uint64) (image.Image, error) { return cardimage.Blur(img, 3), nil }},
	{name: "lowres25", apply: func(img image.Image, _ uint64) (image.Image, error) { return cardimage.Scale(img, 0.25), nil }},
	// All at once, harsh: tilted 3°, blurred, small, noisy, compressed.
	{name: "harsh", apply: func(img image.Image, seed uint64) (image.Image, error) {
		img = cardimage.Rotate(img, []float64{-3, 3}[seed%2])
		img = cardimage.Scale(cardimage.Blur(img, 1.5), 0.4)
		return synth.JPEG(cardimage.Noise(img, 8, seed), 40)
	}},
	{name: "photo", apply: photo},
	{name: "upside-down", apply: func(img image.Image, seed uint64) (image.Image, error) {
		return cardimage.Rotate(img, 180+[]float64{-2, 2}[seed%2]), nil
	}},
	// Print that is not the font's weight: the templates are.
	{name: "heavy", apply: none, weight: 3},
	{name: "thin", apply: none, weight: -2},
	{name: "photo-heavy", apply: photo, weight: 3},
}

// limits are degradations past where the reader holds up, measured by
// BenchmarkAccuracy only, to show where it stops.
var limits = []degradation{
	// Strokes blur into the card: the binarisation finds no lines.
	{name: "blur5", apply: func(img image.Image, _ uint64) (image.Image, error) { return cardimage.Blur(img, 5), nil }},
	// Pitch ≈ 5.5 and 4.3 pixels.
	{name: "lowres18", apply: func(img image.Image, _ uint64) (image.Image, error) { return cardimage.Scale(img, 0.18), nil }},
	{name: "lowres14", apply: func(img image.Image, _ uint64) (image.Image, error) { return cardimage.Scale(img, 0.14), nil }},
	// Beyond the ±4° the reader straightens by search.
	{name: "rotate5", apply: func(img image.Image, _ uint64) (image.Image, error) { return cardimage.Rotate(img, 5), nil }},
	// Strokes twice and half the font's weight.
	{name: "heavy8", apply: none, weight: 8},
	{name: "thin4", apply: none, weight: -4},
	{name: "noise25jpeg20", apply: func(img image.Image, seed uint64) (image.Image, error) {
		return synth.JPEG(cardimage.Noise(img, 25, seed), 20)
	}},
}

// sample is one rendered, degraded MRZ with the text it shows.
type sample struct {
	lines []string
	img   image.Image
}

// samples renders n cards per degradation, cycling through TD1, TD2 and
// TD3, the same for a given seed.
func samples(tb testing.TB, d degradation, n int, seed uint64) []sample {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 42))
	out := make([]sample, n)
	for i := range out {
		lines := randomMRZ(rng, []int{30, 36, 44}[i%3])
		img := render(tb, lines, cardimage.Options{Seed: seed + uint64(i), Weight: d.weight})
		deg, err := d.apply(img, uint64(i))
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = sample{lines: lines, img: deg}
	}
	return out
}

// renders keeps each card rendered, for the next degradation of it.
var renders sync.Map // key: lines and options; value: *image.RGBA

func render(tb testing.TB, lines []string, opt cardimage.Options) image.Image {
	tb.Helper()
	key := fmt.Sprint(lines, opt)
	if img, ok := renders.Load(key); ok {
		return img.(image.Image)
	}
	img, err := cardimage.Render(lines, opt)
	if err != nil {
		tb.Fatal(err)
	}
	renders.Store(key, img)
	return img
}

// score reads every sample and counts characters read right (of those
// sent) and MRZs read exactly.
type score struct {
	chars, charsRight, mrzs, exact int
}

func (s *score) add(want []string, got *ocrb.Result, err error) {
	s.mrzs++
	for _, l := range want {
		s.chars += len(l)
	}
	if err != nil {
		return
	}
	if got.Text() == strings.Join(want, "\n") {
		s.exact++
	}
	for i, l := range want {
		if i >= len(got.Lines) {
			break
		}
		g := got.Lines[i].String()
		for j := 0; j < len(l) && j < len(g); j++ {
			if l[j] == g[j] {
				s.charsRight++
			}
		}
	}
}

func (s score) charRate() float64  { return 100 * float64(s.charsRight) / float64(max(s.chars, 1)) }
func (s score) exactRate() float64 { return 100 * float64(s.exact) / float64(max(s.mrzs, 1)) }

// TestAccuracy holds the reader to floors on a few samples of each
// degradation: a change that makes it read worse fails here. The figures
// over more samples come from BenchmarkAccuracy.
func TestAccuracy(t *testing.T) {
	r, err := ocrb.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	floors := map[string]struct{ char, exact float64 }{
		"clean": {100, 100}, "blur": {99, 66}, "lowres": {99, 66}, "rotate": {99, 66}, "jpeg": {99, 66},
		"blur3": {99, 66}, "lowres25": {99, 66}, "harsh": {99, 66}, "photo": {99, 66},
		"upside-down": {99, 66}, "heavy": {99, 66}, "thin": {99, 66}, "photo-heavy": {99, 66},
	}
	for _, d := range degradations {
		var s score
		for _, smp := range samples(t, d, 3, 1) {
			res, err := r.Read(smp.img)
			s.add(smp.lines, res, err)
			if err != nil {
				t.Errorf("%s: %v", d.name, err)
			} else if got, want := res.Text(), strings.Join(smp.lines, "\n"); got != want {
				t.Logf("%s: read\n%s\nwant\n%s", d.name, got, want)
			}
		}
		f := floors[d.name]
		if s.charRate() < f.char || s.exactRate() < f.exact {
			t.Errorf("%s: %.1f %% of characters, %.0f %% of MRZs exact; want at least %.0f %% and %.0f %%", d.name, s.charRate(), s.exactRate(), f.char, f.exact)
		}
	}
}

// BenchmarkAccuracy reads 12 samples (4 each of TD1, TD2, TD3) per
// degradation per iteration and reports the share of characters read
// right (char%), of MRZs read exactly (exact%) and the time per read.
// Run with -benchtime=1x for the figures alone.
func BenchmarkAccuracy(b *testing.B) {
	r, err := ocrb.NewReader()
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range append(slices.Clone(degradations), limits...) {
		b.Run(d.name, func(b *testing.B) {
			smps := samples(b, d, 12, 100)
			var s score
			var reading time.Duration
			b.ResetTimer()
			for b.Loop() {
				for _, smp := range smps {
					start := time.Now()
					res, err := r.Read(smp.img)
					reading += time.Since(start)
					s.add(smp.lines, res, err)
				}
			}
			b.ReportMetric(s.charRate(), "char%")
			b.ReportMetric(s.exactRate(), "exact%")
			b.ReportMetric(float64(reading.Nanoseconds())/float64(s.mrzs), "ns/read")
		})
	}
}

// BenchmarkRead is the time to find and read a clean TD3 MRZ in a photo of
// 1692×1248 pixels (the reader works at no more than 1600 pixels wide).
func BenchmarkRead(b *testing.B) {
	r, err := ocrb.NewReader()
	if err != nil {
		b.Fatal(err)
	}
	img, err := cardimage.Render([]string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
	}, cardimage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Read(img); err != nil {
			b.Fatal(err)
		}
	}
}
