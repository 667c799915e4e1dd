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
// rows. dark is p's ink (binarise). It returns 0 when nothing beats the
// unrotated projection.
func skew(p *raster.Plane, dark []bool, sc *scratch) float64 {
	xs, ys := sc.inkSample(dark, p.W)
	if len(xs) < 100 {
		return 0
	}
	offset := float64(p.W) * math.Tan(maxSkew*math.Pi/180)
	// The counts are whole numbers, and so are the sums of their squares
	// (below 2⁵³ for any image): integers hold them exactly.
	rows := make([]int32, p.H+2*int(offset)+2)
	score := func(deg float64) float64 {
		t := math.Tan(deg * math.Pi / 180)
		clear(rows)
		// Ink pixels come row by row, and a row's land in the same
		// projected row for long runs: the run is counted in a
		// register, and added when it ends, rather than wait on each
		// increment of the last.
		last, run := -1, int32(0)
		for i, y := range ys {
			// A line rising to the right has y = c − x·t.
			r := int(y + xs[i]*t + offset)
			if r < 0 || r >= len(rows) {
				continue
			}
			if r != last {
				if last >= 0 {
					rows[last] += run
				}
				last, run = r, 0
			}
			run++
		}
		if last >= 0 {
			rows[last] += run
		}
		var s int64
		for _, v := range rows {
			s += int64(v) * int64(v)
		}
		return float64(s)
	}
	best, bestScore := 0.0, score(0)
	for deg := -maxSkew; deg <= maxSkew+1e-9; deg += 0.25 {
		if deg == 0 {
			continue // score(0) is where bestScore started
		}
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

// inkSample returns the coordinates of the ink pixels of dark (w pixels
// wide), every one of them up to about 150 000, else every step-th: a
// sample that size is plenty. They are sc's, valid until the next call.
func (sc *scratch) inkSample(dark []bool, w int) (xs, ys []float64) {
	count := countTrue(dark)
	step := 1 + count/150_000
	n := (count + step - 1) / step
	xs, ys = grow(&sc.xs, n)[:0], grow(&sc.ys, n)[:0]
	k := 0
	for i, d := range dark {
		if d {
			if k%step == 0 {
				xs = append(xs, float64(i%w))
				ys = append(ys, float64(i/w))
			}
			k++
		}
	}
	return xs, ys
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
