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

// matchAt correlates the window whose top-left corner is (x, y) in p (ink
// as 255 − luma) with every template.
func (r *Reader) matchAt(p *raster.Plane, x, y int, win []float32) match {
	var mean float64
	for v := range tmplH {
		for u := range pitchPx {
			ink := 255 - p.At(x+u, y+v)
			win[v*pitchPx+u] = ink
			mean += float64(ink)
		}
	}
	mean /= float64(len(win))
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
	for _, t := range r.templates {
		var dot float32
		for j, tv := range t.pix {
			dot += tv * win[j]
		}
		s := float64(dot) / norm
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

// best searches the windows within ±dx, ±dy of (x, y) for the best match.
func (r *Reader) best(p *raster.Plane, x, y, dx, dy int, win []float32) match {
	var b match
	b.score = -2
	for oy := -dy; oy <= dy; oy++ {
		for ox := -dx; ox <= dx; ox++ {
			if m := r.matchAt(p, x+ox, y+oy, win); m.score > b.score {
				b = m
			}
		}
	}
	return b
}

// readLine reads one line of n characters (n = 0: 36 or 44, whichever
// reads better).
func (r *Reader) readLine(lum *raster.Plane, b band, n int) (Line, []cellBox) {
	if n == 0 {
		// The first dozen cells on each pitch tell them apart: on the
		// wrong one they drift off the characters within a few cells.
		_, _, s36 := r.readLineN(lum, b, 36, 12)
		_, _, s44 := r.readLineN(lum, b, 44, 12)
		n = 44
		if s36 > s44 {
			n = 36
		}
	}
	l, cells, _ := r.readLineN(lum, b, n, n)
	return l, cells
}

// readLineN reads the first cells of the band taken as n characters on a
// fixed pitch and returns them, where each cell lies in lum, and their mean
// score.
func (r *Reader) readLineN(lum *raster.Plane, b band, n, cells int) (Line, []cellBox, float64) {
	// The ink of n characters spans about n − 0.3 pitches.
	pitch := float64(b.width()) / (float64(n) - 0.3)
	k := pitchPx / pitch
	x0 := max(int(float64(b.left)-1.5*pitch), 0)
	x1 := min(int(float64(b.right)+1.5*pitch), lum.W)
	y0 := max(int(float64(b.bottom)-2.4*pitch), 0)
	y1 := min(int(float64(b.bottom)+1.2*pitch), lum.H)
	sub := lum.Sub(imageRect(x0, y0, x1, y1))
	cw, ch := max(int(math.Round(float64(sub.W)*k)), 1), max(int(math.Round(float64(sub.H)*k)), 1)
	p := sub.Resize(cw, ch)

	// Where the first cell and the baseline should be: the first glyph's
	// ink starts about 0.15 pitch into its cell.
	startX := int(math.Round(float64(b.left-x0)*k - 0.15*pitchPx))
	baseline := float64(b.bottom-y0) * k
	startY := int(math.Round(baseline)) - capPx - pad
	win := make([]float32, pitchPx*tmplH)

	// First pass: follow the line left to right, each cell searched near
	// where the previous one and the pitch put it.
	found := make([]match, cells)
	found[0] = r.best(p, startX, startY, pitchPx/3, 4, win)
	for i := 1; i < cells; i++ {
		prev := found[i-1]
		dy := 1
		if i < 3 {
			dy = 2 // the first guess of the baseline may be off
		}
		found[i] = r.best(p, prev.x+pitchPx, prev.y, 3, dy, win)
	}
	// Second pass: fit a straight, evenly pitched line through the
	// confident cells and read each cell close to it.
	// A speck of dirt or noise just before or after the line stretches its
	// extent by a cell, which puts the first guess one cell off; so one
	// cell more is read on each side, and the run of cells that matches
	// best is the line.
	fx, fy := fit(found)
	ms := make([]match, cells+2)
	for i := range ms {
		ms[i] = r.best(p, int(math.Round(fx.at(i-1))), int(math.Round(fy.at(i-1))), 1, 1, win)
	}
	start, best := 0, math.Inf(-1)
	for s := range 3 {
		var total float64
		for _, m := range ms[s : s+cells] {
			total += m.score
		}
		if total > best {
			start, best = s, total
		}
	}
	line := make(Line, cells)
	boxes := make([]cellBox, cells)
	for i, m := range ms[start : start+cells] {
		line[i] = Char{Char: m.char, Confidence: max(m.score, 0), Runner: m.runner, RunnerConfidence: max(m.runnerScore, 0)}
		boxes[i] = cellBox{x0: float64(x0) + float64(m.x)/k, y0: float64(y0) + float64(m.y)/k,
			x1: float64(x0) + float64(m.x+pitchPx)/k, y1: float64(y0) + float64(m.y+tmplH)/k}
	}
	return line, boxes, best / float64(cells)
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
