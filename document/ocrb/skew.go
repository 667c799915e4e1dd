package ocrb

import (
	"math"

	"github.com/idv-oss/idv/document/raster"
)

// maxSkew is the largest rotation, in degrees, the reader straightens.
const maxSkew = 4.0

// skew estimates the rotation of the text in p, in degrees (positive: the
// lines rise to the right), as the angle whose row projection of the ink
// pixels is sharpest: text lines at the right angle pile their ink into few
// rows. It returns 0 when nothing beats the unrotated projection.
func skew(p *raster.Plane) float64 {
	dark := binarise(p, window(p))
	var xs, ys []float64
	// A sample of at most about 150 000 ink pixels is plenty.
	step := 1 + countTrue(dark)/150_000
	k := 0
	for i, d := range dark {
		if d {
			if k%step == 0 {
				xs = append(xs, float64(i%p.W))
				ys = append(ys, float64(i/p.W))
			}
			k++
		}
	}
	if len(xs) < 100 {
		return 0
	}
	offset := float64(p.W) * math.Tan(maxSkew*math.Pi/180)
	rows := make([]float64, p.H+2*int(offset)+2)
	score := func(deg float64) float64 {
		t := math.Tan(deg * math.Pi / 180)
		clear(rows)
		for i := range xs {
			// A line rising to the right has y = c − x·t.
			r := int(ys[i] + xs[i]*t + offset)
			if r >= 0 && r < len(rows) {
				rows[r]++
			}
		}
		var s float64
		for _, v := range rows {
			s += v * v
		}
		return s
	}
	best, bestScore := 0.0, score(0)
	for deg := -maxSkew; deg <= maxSkew+1e-9; deg += 0.25 {
		if s := score(deg); s > bestScore {
			best, bestScore = deg, s
		}
	}
	centre := best
	for deg := centre - 0.25; deg <= centre+0.25+1e-9; deg += 0.05 {
		if s := score(deg); s > bestScore {
			best, bestScore = deg, s
		}
	}
	if math.Abs(best) < 0.1 {
		return 0
	}
	return best
}

func countTrue(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

// rotate returns p turned so that lines rising to the right by deg degrees
// come out level, about the plane's centre, same size.
func rotate(p *raster.Plane, deg float64) *raster.Plane {
	out := raster.New(p.W, p.H)
	sin, cos := math.Sincos(-deg * math.Pi / 180)
	cx, cy := float64(p.W-1)/2, float64(p.H-1)/2
	for y := range p.H {
		for x := range p.W {
			dx, dy := float64(x)-cx, float64(y)-cy
			out.Pix[y*p.W+x] = p.Sample(cx+cos*dx-sin*dy, cy+sin*dx+cos*dy)
		}
	}
	return out
}
