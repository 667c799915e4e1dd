package redact

import (
	"image"
	"math"
	"testing"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/ocrb"
)

// TestLocate: the frame fitted to the MRZ puts the document's corners
// where cardimage drew them (8 mm of table, 12 px/mm), within a
// millimetre, upright, slightly turned and upside down.
func TestLocate(t *testing.T) {
	t.Parallel()
	r, err := ocrb.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	for _, lines := range [][]string{
		{"I<NLDSPECI20142999999990<<<<<8", "6503101F2401151NLD<<<<<<<<<<<8", "DE<BRUIJN<<WILLEKE<LISELOTTE<<"},
		{"P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<", "SPECI20142NLD6503101F2401151999999990<<<<<82"},
	} {
		img, err := cardimage.Render(lines, cardimage.Options{Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		w, h := cardimage.Size(len(lines[0]))
		for _, deg := range []float64{0, 2, 180} {
			photo := image.Image(img)
			if deg != 0 {
				photo = cardimage.Rotate(img, deg)
			}
			res, err := r.Read(photo)
			if err != nil {
				t.Fatal(err)
			}
			f, ok := locate(res)
			if !ok {
				t.Fatalf("%d lines, %v°: not located", len(lines), deg)
			}
			b := photo.Bounds()
			cx, cy := float64(b.Dx())/2, float64(b.Dy())/2
			for _, c := range [][2]float64{{0, 0}, {w, 0}, {0, h}, {w, h}} {
				// Where cardimage drew the corner, turned as the photo was.
				x, y := (8+c[0])*12-cx, (8+c[1])*12-cy
				sin, cos := math.Sincos(-deg * math.Pi / 180)
				wx, wy := cx+cos*x-sin*y, cy+sin*x+cos*y
				gx, gy := f.at(c[0], c[1])
				if d := math.Hypot(gx-wx, gy-wy) / 12; d > 1 {
					t.Errorf("%d lines, %v°: corner %v mm at (%.0f, %.0f), drawn at (%.0f, %.0f): %.1f mm off", len(lines), deg, c, gx, gy, wx, wy, d)
				}
			}
		}
	}
}
