package ocrb_test

import (
	"image"
	"math"
	"testing"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/ocrb"
)

// TestCells: the rectangle Cells gives for a character holds the centre of
// the glyph cardimage drew there, and is not much larger than one cell,
// square to the frame, rotated a little, or upside down.
func TestCells(t *testing.T) {
	t.Parallel()
	r, err := ocrb.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	lines := []string{"I<NLDSPECI20142999999990<<<<<8", "6503101F2401151NLD<<<<<<<<<<<8", "DE<BRUIJN<<WILLEKE<LISELOTTE<<"}
	card, err := cardimage.Render(lines, cardimage.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	const s = 12.0 // cardimage's default pixels per millimetre
	// centre is where cardimage put the middle of line i's character j
	// (both from 0), on the unrotated card.
	centre := func(i, j int) (float64, float64) {
		x := (8 + 5 + (float64(j)+0.5)*2.54) * s
		baseline := (8 + 54 - 3.5 - float64(len(lines)-1-i)*4.23) * s
		return x, baseline - 1.2*s
	}
	w, h := float64(card.Rect.Dx()), float64(card.Rect.Dy())
	for _, deg := range []float64{0, 2, -3, 180} {
		img := image.Image(card)
		if deg != 0 {
			img = cardimage.Rotate(card, deg)
		}
		res, err := r.Read(img)
		if err != nil {
			t.Fatalf("%v°: %v", deg, err)
		}
		sin, cos := math.Sincos(deg * math.Pi / 180)
		for _, c := range [][2]int{{1, 1}, {1, 16}, {1, 30}, {2, 8}, {3, 30}} {
			rect, ok := res.Cells(c[0], c[1], c[1])
			if !ok {
				t.Fatalf("%v°: no cell %v", deg, c)
			}
			sx, sy := centre(c[0]-1, c[1]-1)
			// Where cardimage.Rotate moved that point.
			dx, dy := sx-w/2, sy-h/2
			x, y := cos*dx+sin*dy+w/2, -sin*dx+cos*dy+h/2
			if !image.Pt(int(x), int(y)).In(rect) {
				t.Errorf("%v°: cell %v is %v, glyph centre (%.0f, %.0f) outside", deg, c, rect, x, y)
			}
			if pitch := 2.54 * s; float64(rect.Dx()) > 2*pitch || float64(rect.Dy()) > 3*pitch {
				t.Errorf("%v°: cell %v is %v, larger than a cell", deg, c, rect)
			}
		}
		span, _ := res.Cells(1, 16, 30)
		if want := 15 * 2.54 * s; math.Abs(float64(span.Dx())-want) > 2.54*s*1.5 {
			t.Errorf("%v°: positions 16–30 span %d pixels, want about %.0f", deg, span.Dx(), want)
		}
	}
	if _, ok := (&ocrb.Result{}).Cells(1, 1, 1); ok {
		t.Error("an empty result has cells")
	}
}
