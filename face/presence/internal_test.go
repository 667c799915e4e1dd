package presence

import (
	"errors"
	"image"
	"math"
	"slices"
	"testing"
)

// The page's oval (web/src/app.css) on a 1280×720 frame: centre (640,
// 360), radii 320 and 302.4.
var pageOval = Oval{X: 0.25, Y: 0.08, W: 0.5, H: 0.84}

func TestJudge(t *testing.T) {
	t.Parallel()
	hd := image.Rect(0, 0, 1280, 720)
	small, large, off := ReasonFaceTooSmall, ReasonFaceTooLarge, ReasonFaceOffCentre
	centred := func(w float64) Box { return Box{X: 640 - w/2, Y: 360 - w/2, W: w, H: w} }
	for _, tc := range []struct {
		name   string
		box    Box
		bounds image.Rectangle
		oval   Oval
		want   []string
	}{
		{"centred", centred(300), hd, pageOval, nil},
		{"as wide as the oval", centred(604), hd, pageOval, nil},
		{"just wide enough", centred(78), hd, pageOval, nil},
		{"just too narrow", centred(77.9), hd, pageOval, []string{small}},
		{"the server's threshold is not the page's", centred(60), hd, pageOval, []string{small}},
		{"taller than the oval", centred(605), hd, pageOval, []string{large}},
		{"wider than a wide oval's height", centred(400), hd, Oval{X: 0, Y: 0.3, W: 1, H: 0.5}, []string{large}},
		{"centre outside", Box{X: 100, Y: 300, W: 200, H: 200}, hd, pageOval, []string{off}},
		{"small and outside", Box{X: 100, Y: 300, W: 50, H: 50}, hd, pageOval, []string{small, off}},
		// Centre inside ((402, 176): 0.92 of the way out), 30 % of the
		// box outside.
		{"across the edge", Box{X: 266, Y: 40, W: 272, H: 272}, hd, pageOval, []string{off}},
		{"centre just inside, most of the box out", Box{X: 640 - 100, Y: 60 - 100, W: 200, H: 200}, hd, pageOval, []string{off}},
		{"too large is not also off centre", Box{X: 0, Y: 0, W: 700, H: 700}, hd, pageOval, []string{large}},
		// Bounds not at the origin: the box is in image coordinates.
		{"offset frame", Box{X: 1000 + 640 - 150, Y: 500 + 360 - 150, W: 300, H: 300}, hd.Add(image.Pt(1000, 500)), pageOval, nil},
		{"offset frame, box not moved", centred(300), hd.Add(image.Pt(1000, 500)), pageOval, []string{off}},
		{"portrait frame", Box{X: 360 - 150, Y: 640 - 150, W: 300, H: 300}, image.Rect(0, 0, 720, 1280), pageOval, nil},
	} {
		if got := judge(tc.box, tc.bounds, tc.oval); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestInside(t *testing.T) {
	t.Parallel()
	// The unit circle; the grid measures to about 1/32.
	in := func(x, y float64) bool { return x*x+y*y <= 1 }
	for _, tc := range []struct {
		box  Box
		want float64
	}{
		{Box{X: -0.5, Y: -0.5, W: 1, H: 1}, 1},
		{Box{X: 2, Y: 2, W: 1, H: 1}, 0},
		{Box{X: 0, Y: -1, W: 2, H: 2}, math.Pi / 8},  // half the circle in a square of 4
		{Box{X: -1, Y: -1, W: 2, H: 2}, math.Pi / 4}, // the circle in its square
	} {
		if got := inside(tc.box, in); math.Abs(got-tc.want) > 0.02 {
			t.Errorf("inside(%+v) = %.3f, want %.3f", tc.box, got, tc.want)
		}
	}
}

func TestOvalValid(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		o  Oval
		ok bool
	}{
		{pageOval, true},
		{Oval{X: -0.1, Y: -0.1, W: 1.2, H: 1.2}, true}, // larger than the frame: still an oval
		{Oval{W: 0, H: 1}, false},
		{Oval{W: 1, H: -1}, false},
		{Oval{X: nan, W: 1, H: 1}, false},
		{Oval{Y: inf, W: 1, H: 1}, false},
		{Oval{W: inf, H: 1}, false},
	} {
		err := tc.o.valid()
		if (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrOval) {
			t.Errorf("%+v: %v, want ok %v", tc.o, err, tc.ok)
		}
	}
}

func TestDistinct(t *testing.T) {
	t.Parallel()
	sq := func(x, y, w float64, score float32) Face { return Face{Box: Box{X: x, Y: y, W: w, H: w}, Score: score} }
	for _, tc := range []struct {
		name  string
		faces []Face // strongest first
		want  int
	}{
		{"none", nil, 0},
		{"one", []Face{sq(0, 0, 100, 9)}, 1},
		{"side by side", []Face{sq(0, 0, 100, 9), sq(120, 0, 100, 8)}, 2},
		{"touching a little", []Face{sq(0, 0, 100, 9), sq(60, 0, 100, 8)}, 2}, // 40 % of the weaker inside
		{"the same face at two scales", []Face{sq(0, 0, 130, 9), sq(-15, -20, 167, 8)}, 1},
		{"nested, the weaker inside", []Face{sq(0, 0, 200, 9), sq(50, 50, 60, 8)}, 1},
		{"nested, the stronger inside", []Face{sq(50, 50, 60, 9), sq(0, 0, 200, 8)}, 1},
		{"a third, apart", []Face{sq(0, 0, 100, 9), sq(10, 10, 90, 8), sq(300, 0, 100, 7)}, 2},
	} {
		if got := distinct(tc.faces); len(got) != tc.want {
			t.Errorf("%s: %d faces, want %d", tc.name, len(got), tc.want)
		}
	}
}
