package ocrb

import (
	"image"
	"math"

	"github.com/idv-oss/idv/document/raster"
)

// scan is one band of the working plane resampled so that n characters
// fall on the canonical pitch, with the windows matched in it so far: the
// two passes over a line, and the readings of a two-line MRZ as 36 and as
// 44 characters, look at many of the same windows, and a window's match
// depends on nothing but its place.
type scan struct {
	r *Reader
	// p is the band resampled; (x0, y0) its corner in the working plane,
	// k the canonical pixels per working pixel.
	p      *raster.Plane
	x0, y0 int
	k      float64
	b      band
	n      int
	win    []float32
	seen   map[image.Point]match
}

// newScan resamples the band b of lum as a line of n characters.
func (r *Reader) newScan(lum *raster.Plane, b band, n int) *scan {
	// The ink of n characters spans about n − 0.3 pitches.
	pitch := float64(b.width()) / (float64(n) - 0.3)
	k := pitchPx / pitch
	x0 := max(int(float64(b.left)-1.5*pitch), 0)
	x1 := min(int(float64(b.right)+1.5*pitch), lum.W)
	y0 := max(int(float64(b.bottom)-2.4*pitch), 0)
	y1 := min(int(float64(b.bottom)+1.2*pitch), lum.H)
	sub := lum.Sub(imageRect(x0, y0, x1, y1))
	cw, ch := max(int(math.Round(float64(sub.W)*k)), 1), max(int(math.Round(float64(sub.H)*k)), 1)
	return &scan{r: r, p: sub.Resize(cw, ch), x0: x0, y0: y0, k: k, b: b, n: n,
		win: make([]float32, cellLen), seen: map[image.Point]match{}}
}

// at is the match of the window whose top-left corner is (x, y).
func (s *scan) at(x, y int) match {
	pt := image.Pt(x, y)
	if m, ok := s.seen[pt]; ok {
		return m
	}
	m := s.r.matchAt(s.p, x, y, s.win)
	s.seen[pt] = m
	return m
}

// best searches the windows within ±dx, ±dy of (x, y) for the best match.
func (s *scan) best(x, y, dx, dy int) match {
	var b match
	b.score = -2
	for oy := -dy; oy <= dy; oy++ {
		for ox := -dx; ox <= dx; ox++ {
			if m := s.at(x+ox, y+oy); m.score > b.score {
				b = m
			}
		}
	}
	return b
}

// readLine reads one line of n characters (n = 0: 36 or 44, whichever
// reads better).
func (r *Reader) readLine(lum *raster.Plane, b band, n int) (Line, []cellBox) {
	if n != 0 {
		l, cells, _ := r.newScan(lum, b, n).read(n)
		return l, cells
	}
	// The first dozen cells on each pitch tell them apart: on the
	// wrong one they drift off the characters within a few cells.
	s36, s44 := r.newScan(lum, b, 36), r.newScan(lum, b, 44)
	_, _, m36 := s36.read(12)
	_, _, m44 := s44.read(12)
	s := s44
	if m36 > m44 {
		s = s36
	}
	l, cells, _ := s.read(s.n)
	return l, cells
}

// read reads the first cells of the line and returns them, where each
// cell lies in the working plane, and their mean score.
func (s *scan) read(cells int) (Line, []cellBox, float64) {
	k := s.k
	// Where the first cell and the baseline should be: the first glyph's
	// ink starts about 0.15 pitch into its cell.
	startX := int(math.Round(float64(s.b.left-s.x0)*k - 0.15*pitchPx))
	baseline := float64(s.b.bottom-s.y0) * k
	startY := int(math.Round(baseline)) - capPx - pad

	// First pass: follow the line left to right, each cell searched near
	// where the previous one and the pitch put it.
	found := make([]match, cells)
	found[0] = s.best(startX, startY, pitchPx/3, 4)
	for i := 1; i < cells; i++ {
		prev := found[i-1]
		dy := 1
		if i < 3 {
			dy = 2 // the first guess of the baseline may be off
		}
		found[i] = s.best(prev.x+pitchPx, prev.y, 3, dy)
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
		ms[i] = s.best(int(math.Round(fx.at(i-1))), int(math.Round(fy.at(i-1))), 1, 1)
	}
	start, best := 0, math.Inf(-1)
	for st := range 3 {
		var total float64
		for _, m := range ms[st : st+cells] {
			total += m.score
		}
		if total > best {
			start, best = st, total
		}
	}
	return s.line(ms[start:start+cells], best/float64(cells))
}

// line turns the matches of a line's cells into its characters and
// their cells in the working plane.
func (s *scan) line(ms []match, score float64) (Line, []cellBox, float64) {
	x0, y0, k := float64(s.x0), float64(s.y0), s.k
	line := make(Line, len(ms))
	boxes := make([]cellBox, len(ms))
	for i, m := range ms {
		line[i] = Char{Char: m.char, Confidence: max(m.score, 0), Runner: m.runner, RunnerConfidence: max(m.runnerScore, 0)}
		boxes[i] = cellBox{x0: x0 + float64(m.x)/k, y0: y0 + float64(m.y)/k,
			x1: x0 + float64(m.x+pitchPx)/k, y1: y0 + float64(m.y+tmplH)/k}
	}
	return line, boxes, score
}
