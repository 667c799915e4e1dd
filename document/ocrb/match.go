package ocrb

import (
	"math"

	"github.com/idv-oss/idv/document/ocrb/glyph"
	"github.com/idv-oss/idv/document/raster"
)

// The canonical scale: every line is resampled so its pitch is pitchPx
// pixels, and templates are cells of pitchPx × tmplH pixels reaching pad
// pixels above the capitals and below the baseline.
const (
	pitchPx = 24
	pad     = 3
	scaleA  = float64(glyph.CellWidth) / pitchPx // atlas pixels per canonical pixel
)

var (
	capPx = int(math.Round((glyph.Baseline - glyph.CapTop) / scaleA)) // capital height
	tmplH = capPx + 2*pad
)

// template is one character's cell, zero mean and unit norm, so that its
// dot product with a window is the window's correlation with it (up to the
// window's own norm).
type template struct {
	char byte
	pix  []float32
}

func buildTemplates(a *glyph.Atlas) []template {
	out := make([]template, 0, len(glyph.Alphabet))
	top := float64(glyph.CapTop) - pad*scaleA
	for i := 0; i < len(glyph.Alphabet); i++ {
		c := glyph.Alphabet[i]
		sum := make([]float64, pitchPx*tmplH)
		n := make([]float64, pitchPx*tmplH)
		for y := range glyph.CellHeight {
			v := int(math.Floor((float64(y) + 0.5 - top) / scaleA))
			if v < 0 || v >= tmplH {
				continue
			}
			for x := range glyph.CellWidth {
				u := min(int((float64(x)+0.5)/scaleA), pitchPx-1)
				sum[v*pitchPx+u] += float64(a.Coverage(c, x, y))
				n[v*pitchPx+u]++
			}
		}
		pix := make([]float32, len(sum))
		var mean float64
		for j := range sum {
			sum[j] /= max(n[j], 1)
			mean += sum[j]
		}
		mean /= float64(len(sum))
		var norm float64
		for j := range sum {
			sum[j] -= mean
			norm += sum[j] * sum[j]
		}
		norm = math.Sqrt(norm)
		for j := range sum {
			pix[j] = float32(sum[j] / norm)
		}
		out = append(out, template{char: c, pix: pix})
	}
	return out
}

// match is the best reading of a window.
type match struct {
	x, y               int
	char, runner       byte
	score, runnerScore float64
}

// cellLen is the number of pixels in a template and a window.
var cellLen = pitchPx * tmplH

// matchAt correlates the window whose top-left corner is (x, y) in p (ink
// as 255 − luma) with every template.
func (r *Reader) matchAt(p *raster.Plane, x, y int, win []float32) match {
	mean := fillWindow(p, x, y, win) / float64(len(win))
	var norm float64
	for _, w := range win {
		d := float64(w) - mean
		norm += d * d
	}
	m := match{x: x, y: y, char: '<', runner: '<'}
	if norm < 1e-3 {
		return m
	}
	norm = math.Sqrt(norm)
	var dots [len(glyph.Alphabet)]float32
	correlate(r.flat, win, dots[:len(r.templates)])
	for i, t := range r.templates {
		s := float64(dots[i]) / norm
		switch {
		case s > m.score:
			m.runner, m.runnerScore = m.char, m.score
			m.char, m.score = t.char, s
		case s > m.runnerScore:
			m.runner, m.runnerScore = t.char, s
		}
	}
	return m
}

// fillWindow copies the window whose top-left corner is (x, y) in p into
// win as ink (255 − luma), row by row, and returns the sum of its ink.
// Inside p it reads p's rows; a window over the edge takes the edge's
// values, as p.At does.
func fillWindow(p *raster.Plane, x, y int, win []float32) float64 {
	var sum float64
	if x < 0 || y < 0 || x+pitchPx > p.W || y+tmplH > p.H {
		for v := range tmplH {
			for u := range pitchPx {
				ink := 255 - p.At(x+u, y+v)
				win[v*pitchPx+u] = ink
				sum += float64(ink)
			}
		}
		return sum
	}
	for v := range tmplH {
		row := p.Pix[(y+v)*p.W+x:][:pitchPx]
		dst := win[v*pitchPx:][:pitchPx]
		for u, l := range row {
			ink := 255 - l
			dst[u] = ink
			sum += float64(ink)
		}
	}
	return sum
}

// correlate stores in dots[i] the dot product of win with template i of
// flat (the templates end to end). Each product is summed in the order
// of the window's pixels, as one running sum; four templates are summed
// side by side, which keeps the processor busy without changing any sum
// (about three times as fast as one after the other; six are no faster,
// and eight no longer fit in the registers).
func correlate(flat, win, dots []float32) {
	n := len(win)
	i := 0
	for ; i+4 <= len(dots); i += 4 {
		t0, t1 := flat[i*n:][:n], flat[(i+1)*n:][:n]
		t2, t3 := flat[(i+2)*n:][:n], flat[(i+3)*n:][:n]
		var s0, s1, s2, s3 float32
		for j, w := range win {
			s0 += t0[j] * w
			s1 += t1[j] * w
			s2 += t2[j] * w
			s3 += t3[j] * w
		}
		dots[i], dots[i+1], dots[i+2], dots[i+3] = s0, s1, s2, s3
	}
	for ; i < len(dots); i++ {
		t := flat[i*n:][:n]
		var s float32
		for j, w := range win {
			s += t[j] * w
		}
		dots[i] = s
	}
}

// linear is a + b·i.
type linear struct{ a, b float64 }

func (l linear) at(i int) float64 { return l.a + l.b*float64(i) }

// fit fits the cells' positions against their index by least squares, over
// the cells matched with some confidence, twice: the second time without
// the cells more than 2 pixels off the first fit.
func fit(ms []match) (x, y linear) {
	use := make([]bool, len(ms))
	for i, m := range ms {
		use[i] = m.score > 0.5
	}
	x, y = fitUsed(ms, use, linear{float64(ms[0].x), pitchPx}, linear{float64(ms[0].y), 0})
	for i, m := range ms {
		use[i] = use[i] && math.Abs(float64(m.x)-x.at(i)) <= 2 && math.Abs(float64(m.y)-y.at(i)) <= 2
	}
	return fitUsed(ms, use, x, y)
}

func fitUsed(ms []match, use []bool, x, y linear) (linear, linear) {
	var n, si, sii, sx, six, sy, siy float64
	for i, m := range ms {
		if !use[i] {
			continue
		}
		fi := float64(i)
		n++
		si += fi
		sii += fi * fi
		sx += float64(m.x)
		six += fi * float64(m.x)
		sy += float64(m.y)
		siy += fi * float64(m.y)
	}
	d := n*sii - si*si
	if n < 3 || d == 0 {
		return x, y
	}
	bx := (n*six - si*sx) / d
	by := (n*siy - si*sy) / d
	return linear{(sx - bx*si) / n, bx}, linear{(sy - by*si) / n, by}
}
