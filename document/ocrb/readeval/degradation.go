package readeval

import (
	"image"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/face/synth"
)

// Degradation is one way a phone photo of a document goes wrong, applied
// to a card rendered at 12 pixels per millimetre (MRZ pitch ≈ 30 pixels).
type Degradation struct {
	Name string
	// Family is the kind of damage, the steps of one family growing
	// harsher: the five of issue 16 (blur, glare, angle, jpeg for JPEG
	// quality, resolution), weight (print that is not the font's),
	// combined (several at once) and none.
	Family string
	// Limit marks a degradation past where the reader holds up (Limits).
	Limit bool
	apply func(img image.Image, c card) (image.Image, error)
	// weight renders the MRZ heavier or lighter than the font
	// (cardimage.Options.Weight).
	weight int
}

// card is what a degradation may vary with: the sample's index (for
// noise, tilt and glare that differ from sample to sample) and its MRZ
// lines (for where the MRZ lies).
type card struct {
	index uint64
	lines []string
}

func none(img image.Image, _ card) (image.Image, error) { return img, nil }

func blur(sigma float64) func(image.Image, card) (image.Image, error) {
	return func(img image.Image, _ card) (image.Image, error) { return cardimage.Blur(img, sigma), nil }
}

func scale(f float64) func(image.Image, card) (image.Image, error) {
	return func(img image.Image, _ card) (image.Image, error) { return cardimage.Scale(img, f), nil }
}

// rotate tilts the card by one of degs, by sample.
func rotate(degs ...float64) func(image.Image, card) (image.Image, error) {
	return func(img image.Image, c card) (image.Image, error) {
		return cardimage.Rotate(img, degs[c.index%uint64(len(degs))]), nil
	}
}

// jpeg adds sensor noise of sigma levels and compresses at quality.
func jpeg(sigma float64, quality int) func(image.Image, card) (image.Image, error) {
	return func(img image.Image, c card) (image.Image, error) {
		return synth.JPEG(cardimage.Noise(img, sigma, c.index), quality)
	}
}

// photo is a hand-held phone photo: slightly tilted, a little soft,
// smaller, noisy, compressed.
func photo(img image.Image, c card) (image.Image, error) {
	img = cardimage.Rotate(img, []float64{-2, -1, 1, 2}[c.index%4])
	img = cardimage.Scale(cardimage.Blur(img, 1.2), 0.6)
	return synth.JPEG(cardimage.Noise(img, 5, c.index), 60)
}

// Degradations are the ways a photo goes wrong that the reader is held to
// (package ocrb's TestAccuracy has a floor for each), family by family,
// each harsher than the one before, then print weights and combinations.
func Degradations() []Degradation {
	return []Degradation{
		{Name: "clean", Family: "none", apply: none},

		// σ = 2 and 3 pixels fail the focus gate of package quality.
		{Name: "blur1", Family: "blur", apply: blur(1)},
		{Name: "blur", Family: "blur", apply: blur(2)},
		{Name: "blur3", Family: "blur", apply: blur(3)},

		// A veil of light over the MRZ that keeps half its contrast,
		// then burnt-out spots of 1 and 2 % of the photo's width in
		// radius, small enough to pass the glare gate of package quality
		// (at most 1 % of the photo): the characters under a spot are
		// gone, and the reading is never whole.
		{Name: "glare-haze", Family: "glare", apply: glare(0.08, 0.5)},
		{Name: "glare1", Family: "glare", apply: glare(0.01, 1)},
		{Name: "glare2", Family: "glare", apply: glare(0.02, 1)},

		{Name: "rotate1", Family: "angle", apply: rotate(-1, 1)},
		{Name: "rotate", Family: "angle", apply: rotate(-3, -1.5, 2, 3)},
		// At the edge of the ±4° the reader straightens by search.
		{Name: "rotate4", Family: "angle", apply: rotate(-4, 4)},
		{Name: "upside-down", Family: "angle", apply: rotate(178, 182)},

		// Sensor noise of 8 levels, then JPEG at quality 70, 50, 30
		// ("jpeg") and 15.
		{Name: "jpeg70", Family: "jpeg", apply: jpeg(8, 70)},
		{Name: "jpeg50", Family: "jpeg", apply: jpeg(8, 50)},
		{Name: "jpeg", Family: "jpeg", apply: jpeg(8, 30)},
		{Name: "jpeg15", Family: "jpeg", apply: jpeg(8, 15)},

		// The card scaled to 60 % (pitch ≈ 18 pixels), 40 % ("lowres",
		// pitch ≈ 12, the card about 490 pixels wide), 30 % and 25 %
		// (pitch ≈ 7.6, which fails the resolution gate).
		{Name: "lowres60", Family: "resolution", apply: scale(0.6)},
		{Name: "lowres", Family: "resolution", apply: scale(0.4)},
		{Name: "lowres30", Family: "resolution", apply: scale(0.3)},
		{Name: "lowres25", Family: "resolution", apply: scale(0.25)},

		// Print that is not the font's weight: the templates are.
		{Name: "heavy", Family: "weight", apply: none, weight: 3},
		{Name: "thin", Family: "weight", apply: none, weight: -2},

		// All at once, harsh: tilted 3°, blurred, small, noisy, compressed.
		{Name: "harsh", Family: "combined", apply: func(img image.Image, c card) (image.Image, error) {
			img = cardimage.Rotate(img, []float64{-3, 3}[c.index%2])
			img = cardimage.Scale(cardimage.Blur(img, 1.5), 0.4)
			return synth.JPEG(cardimage.Noise(img, 8, c.index), 40)
		}},
		{Name: "photo", Family: "combined", apply: photo},
		{Name: "photo-heavy", Family: "combined", apply: photo, weight: 3},
	}
}

// Limits are degradations past where the reader holds up, to show where it
// stops; no test holds the reader to a read rate under them, only to
// trusting no wrong reading (package ocrb's TestTrustedNeverWrong).
func Limits() []Degradation {
	return []Degradation{
		// Strokes blur into the card: the binarisation finds no lines.
		{Name: "blur5", Family: "blur", Limit: true, apply: blur(5)},
		// A veil that keeps a quarter of the contrast; a burnt-out spot
		// of 4 % of the width in radius, about seven characters across.
		{Name: "glare-haze75", Family: "glare", Limit: true, apply: glare(0.08, 0.75)},
		{Name: "glare4", Family: "glare", Limit: true, apply: glare(0.04, 1)},
		// Beyond the ±4° the reader straightens by search.
		{Name: "rotate5", Family: "angle", Limit: true, apply: rotate(5)},
		{Name: "noise25jpeg20", Family: "jpeg", Limit: true, apply: jpeg(25, 20)},
		// Pitch ≈ 5.5 and 4.3 pixels.
		{Name: "lowres18", Family: "resolution", Limit: true, apply: scale(0.18)},
		{Name: "lowres14", Family: "resolution", Limit: true, apply: scale(0.14)},
		// Strokes twice and half the font's weight.
		{Name: "heavy8", Family: "weight", Limit: true, apply: none, weight: 8},
		{Name: "thin4", Family: "weight", Limit: true, apply: none, weight: -4},
	}
}
