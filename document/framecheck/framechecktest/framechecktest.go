// Package framechecktest holds the test vectors that the document checks
// must judge alike natively (package framecheck, as the server runs them)
// and compiled to WebAssembly (web/wasm, as the capture page runs them):
// generated photos of the specimen card (package cardimage), sharp and
// spoilt in each way a gate catches, or printed so that the MRZ read is
// found, distrusted or refused, each with the verdict it must get.
package framechecktest

import (
	"bytes"
	"encoding/json"
	"image"
	"image/draw"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/framecheck"
	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/document/quality"
)

// Day is the day the vectors' MRZs are made and parsed on.
var Day = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// Vector is one photo and the verdict it must get.
type Vector struct {
	Name string
	// Frame is the photo as a canvas's ImageData holds it.
	Frame *image.NRGBA
	// Source is the photo as rendered, before it became a frame.
	Source image.Image
	// Printed is the MRZ printed on the card: no answer may contain any
	// of it.
	Printed string
	Reasons []string
	MRZ     framecheck.MRZ
}

// Vectors renders the vectors (a few seconds' work).
func Vectors(tb testing.TB) []Vector {
	tb.Helper()
	good := mrz.SpecimenTD1(Day)
	// The document number's check digit (line 1, position 15) made wrong:
	// read confidently, it does not parse.
	b := []byte(good)
	b[14] = '0' + (b[14]-'0'+1)%10
	badDigit := string(b)
	sharp := Sharp(tb)
	all := framecheck.MRZ{Read: true, Trusted: true, Parsed: true}
	vs := []Vector{
		{Name: "sharp card", Source: sharp, Printed: good, MRZ: all},
		{Name: "1280×720 frame", Source: HDSource(tb), Printed: good, MRZ: all},
		{Name: "tilted 3°", Source: cardimage.Rotate(sharp, 3), Printed: good, MRZ: all},
		{Name: "blurred", Source: cardimage.Blur(sharp, 3), Printed: good, Reasons: []string{quality.ReasonBlurry}},
		{Name: "glare", Source: cardimage.Glare(sharp, 0.6, 0.4, 0.08), Printed: good, Reasons: []string{quality.ReasonGlare}},
		{Name: "half resolution", Source: cardimage.Scale(sharp, 0.5), Printed: good, Reasons: []string{quality.ReasonLowResolution}},
		{Name: "greyscale copy", Source: cardimage.Grey(sharp), Printed: good, Reasons: []string{quality.ReasonGreyscaleCopy}},
		{Name: "MRZ cut off", Source: cardimage.Crop(cardimage.Scale(sharp, 1.5), 0, 0, 1, 0.6), Printed: good,
			Reasons: []string{quality.ReasonNotInFrame}},
		{Name: "grainy: no MRZ found", Source: cardimage.Noise(sharp, 20, 1), Printed: good},
		{Name: "heavy print: MRZ not trusted", Source: render(tb, good, cardimage.Options{Seed: 7, Weight: 4}), Printed: good,
			MRZ: framecheck.MRZ{Read: true}},
		{Name: "check digit wrong: MRZ does not parse", Source: specimen(tb, badDigit, 0), Printed: badDigit,
			MRZ: framecheck.MRZ{Read: true, Trusted: true}},
	}
	for i := range vs {
		vs[i].Frame = Frame(vs[i].Source)
	}
	return vs
}

// Sharp is a phone photo of the specimen card, its MRZ made on Day: a
// photo that passes the gates and reads.
func Sharp(tb testing.TB) image.Image {
	tb.Helper()
	return specimen(tb, mrz.SpecimenTD1(Day), 0)
}

// HD is a 1280×720 camera frame of the specimen card, the size of a
// phone's video stream: the frame the benchmarks time.
func HD(tb testing.TB) *image.NRGBA {
	tb.Helper()
	return Frame(HDSource(tb))
}

// HDSource is HD before it became a frame: the card photographed 720
// pixels high, on a table widened to 1280.
func HDSource(tb testing.TB) image.Image {
	tb.Helper()
	const w, h = 1280, 720
	card := specimen(tb, mrz.SpecimenTD1(Day), float64(h)/70) // a TD1 card and its margins are 70 mm high
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(out, out.Bounds(), image.NewUniform(card.At(0, 0)), image.Point{}, draw.Src)
	cb := card.Bounds()
	at := image.Pt((w-cb.Dx())/2, (h-cb.Dy())/2)
	draw.Draw(out, cb.Sub(cb.Min).Add(at), card, cb.Min, draw.Src)
	return out
}

// Frame copies img into the shape a canvas's ImageData has.
func Frame(img image.Image) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	return out
}

// specimen is a phone photo of the specimen card printing text.
func specimen(tb testing.TB, text string, pxPerMM float64) image.Image {
	tb.Helper()
	img, err := cardimage.SpecimenCard(text, nil, 7, pxPerMM)
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

// render is the card printing text, square to the frame.
func render(tb testing.TB, text string, opt cardimage.Options) image.Image {
	tb.Helper()
	img, err := cardimage.Render(strings.Fields(text), opt)
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

// AssertNothingPrinted fails tb when answer, as JSON, holds a line of the
// printed MRZ or any run of four or more of its characters between fillers
// (the document number, the names, the dates).
func AssertNothingPrinted(tb testing.TB, answer any, printed string) {
	tb.Helper()
	b, err := json.Marshal(answer)
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Fields(printed) {
		for _, part := range append(strings.FieldsFunc(line, func(r rune) bool { return r == '<' }), line) {
			if len(part) >= 4 && bytes.Contains(b, []byte(part)) {
				tb.Errorf("the answer %s holds %q, printed on the card", b, part)
			}
		}
	}
}
