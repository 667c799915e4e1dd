package cardimage_test

import (
	"strings"
	"testing"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/document/quality"
	"github.com/idv-oss/idv/face/synth"
)

// TestPhotographPassesChecks: a rendered card, photographed (a little
// perspective, sensor noise, JPEG), passes every quality gate and its
// printed MRZ reads back exactly, for each layout and several seeds: what
// the demo and the end-to-end tests send with the image checks on.
func TestPhotographPassesChecks(t *testing.T) {
	t.Parallel()
	r, err := ocrb.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	for _, lines := range [][]string{
		{"I<NLDSPECI20142<<<<<<<<<<<<<<<", "6503101F3111257NLD<<<<<<<<<<<6", "DE<BRUIJN<<WILLEKE<LISELOTTE<<"},
		{"P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<", "SPECI20142NLD6503101F2401151999999990<<<<<82"},
	} {
		for seed := range uint64(3) {
			img, err := cardimage.Render(lines, cardimage.Options{Seed: seed, Fields: []cardimage.Field{{X: 0.42, Y: 0.15, Text: "Persoonsnummer 999999990"}}})
			if err != nil {
				t.Fatal(err)
			}
			photo, err := synth.JPEG(cardimage.Photograph(img, seed), 90)
			if err != nil {
				t.Fatal(err)
			}
			if reasons, m := quality.Check(photo, quality.Config{}); reasons != nil {
				t.Errorf("%d-character lines, seed %d: %v (%+v)", len(lines[0]), seed, reasons, m)
			}
			res, err := r.Read(photo)
			if err != nil {
				t.Fatalf("%d-character lines, seed %d: %v", len(lines[0]), seed, err)
			}
			if c := ocrb.Compare(res, strings.Join(lines, "\n"), ocrb.CompareConfig{}); c.Reasons != nil {
				t.Errorf("%d-character lines, seed %d: read %q: %v", len(lines[0]), seed, res.Text(), c.Reasons)
			}
		}
	}
}
