package face

import (
	"math"
	"testing"
)

func TestNMS(t *testing.T) {
	a := Face{Box: Box{0, 0, 10, 10}, Score: 0.9}
	aShift := Face{Box: Box{1, 1, 11, 11}, Score: 0.95} // IoU with a ≈ 0.68
	b := Face{Box: Box{20, 20, 30, 30}, Score: 0.8}
	c := Face{Box: Box{5, 0, 15, 10}, Score: 0.85} // IoU with a = 1/3
	for _, tc := range []struct {
		name string
		in   []Face
		thr  float64
		want []Face
	}{
		{"empty", nil, 0.3, nil},
		{"disjoint kept, strongest first", []Face{b, a}, 0.3, []Face{a, b}},
		{"overlap keeps stronger", []Face{a, aShift, b}, 0.3, []Face{aShift, b}},
		{"below threshold kept", []Face{a, c}, 0.4, []Face{a, c}},
		{"above threshold dropped", []Face{a, c}, 0.3, []Face{a}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := nms(append([]Face(nil), tc.in...), tc.thr)
			if len(got) != len(tc.want) {
				t.Fatalf("nms = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("nms = %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestSquared(t *testing.T) {
	got := squared(Box{10, 20, 30, 60})
	if want := (Box{0, 20, 40, 60}); got != want {
		t.Fatalf("squared = %v, want %v", got, want)
	}
}

// landmarksFor builds 68 landmarks whose five points are exactly pts.
func landmarksFor(pts [5]Point) [68]Point {
	var lm [68]Point
	for i := 36; i <= 41; i++ {
		lm[i] = pts[0]
	}
	for i := 42; i <= 47; i++ {
		lm[i] = pts[1]
	}
	lm[30], lm[48], lm[54] = pts[2], pts[3], pts[4]
	return lm
}

func TestAlignmentInvertsKnownSimilarity(t *testing.T) {
	for _, tc := range []struct{ scale, angle, tx, ty float64 }{
		{1, 0, 0, 0},
		{3.2, 0.3, 140, 75},
		{0.5, -1.2, 10, 300},
		{5, math.Pi, 900, 400},
	} {
		// Place the template's points in an "image" by a known similarity;
		// the alignment must map the template back onto them.
		ca, sa := tc.scale*math.Cos(tc.angle), tc.scale*math.Sin(tc.angle)
		fwd := func(p Point) Point { return Point{ca*p.X - sa*p.Y + tc.tx, sa*p.X + ca*p.Y + tc.ty} }
		var img [5]Point
		for i, p := range arcface {
			img[i] = fwd(Point{p.X + 0.5, p.Y + 0.5})
		}
		m, err := alignment(landmarksFor(img))
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range arcface {
			u, v := p.X+0.5, p.Y+0.5
			got := Point{m.a*u + m.b*v + m.c, m.d*u + m.e*v + m.f}
			if math.Hypot(got.X-img[i].X, got.Y-img[i].Y) > 1e-6*tc.scale*100 {
				t.Errorf("%+v: template point %d maps to %v, want %v", tc, i, got, img[i])
			}
		}
	}
}

func TestAlignmentRefusesDegenerateLandmarks(t *testing.T) {
	p := Point{10, 10}
	if _, err := alignment(landmarksFor([5]Point{p, p, p, p, p})); err == nil {
		t.Fatal("alignment of five identical points succeeded")
	}
}

func TestCosine(t *testing.T) {
	for _, tc := range []struct {
		a, b []float32
		want float64
	}{
		{[]float32{1, 0}, []float32{1, 0}, 1},
		{[]float32{1, 0}, []float32{0, 2}, 0},
		{[]float32{1, 1}, []float32{-3, -3}, -1},
		{[]float32{3, 4}, []float32{4, 3}, 24.0 / 25},
		{[]float32{1, 0}, []float32{1, 0, 0}, 0},
		{[]float32{0, 0}, []float32{1, 0}, 0},
		{nil, nil, 0},
	} {
		if got := Cosine(tc.a, tc.b); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Cosine(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestCheckVersion(t *testing.T) {
	for _, tc := range []struct {
		v  string
		ok bool
	}{
		{"1.30.0", true}, {"1.24.1", true}, {"1.23.2", false}, {"2.0.0", false}, {"1", false}, {"x.y", false},
	} {
		if err := checkVersion(tc.v); (err == nil) != tc.ok {
			t.Errorf("checkVersion(%q) = %v, want ok=%v", tc.v, err, tc.ok)
		}
	}
}
