package ocrb

import (
	"image"
	"math"
	"sort"

	"github.com/idv-oss/idv/document/raster"
)

// band is one line of text in the straightened plane: the rows its ink
// spans and the columns from its first ink to its last.
type band struct {
	top, bottom, left, right int
}

func (b band) height() int { return b.bottom - b.top }
func (b band) width() int  { return b.right - b.left }

// zone is the MRZ found: its lines, top to bottom, and their length in
// characters (0 for two lines: TD2 or TD3, which the reader settles by
// reading both ways).
type zone struct {
	lines  []band
	length int
}

// minTransitions is how many separate pieces of ink a row must cross to be
// a row of text: an MRZ line of 30 characters crosses 30 or more.
const minTransitions = 14

// findZone looks for the MRZ: the lowest group of three lines of equal
// height and extent, evenly spaced, about 30 character heights long (TD1),
// or failing that two such lines about 36 or 44 long (TD2, TD3).
// dark is p's ink (binarise).
func findZone(p *raster.Plane, dark []bool) (zone, bool) {
	bands := textBands(dark, p.W, p.H)
	for _, n := range []int{3, 2} {
		for last := len(bands) - 1; last >= n-1; last-- {
			group := bands[last-n+1 : last+1]
			if length, ok := mrzGroup(group); ok {
				return zone{lines: append([]band(nil), group...), length: length}, true
			}
		}
	}
	return zone{}, false
}

// textBands finds the horizontal bands of rows crossing many pieces of ink,
// top to bottom, with each band's extent measured on its ink.
func textBands(dark []bool, w, h int) []band {
	isText := make([]bool, h)
	for y := range h {
		row := dark[y*w : (y+1)*w]
		n := 0
		for x := 1; x < w; x++ {
			if row[x] && !row[x-1] {
				n++
			}
		}
		isText[y] = n >= minTransitions
	}
	var bands []band
	for y := 0; y < h; {
		if !isText[y] {
			y++
			continue
		}
		top := y
		for y < h && (isText[y] || y+1 < h && isText[y+1]) {
			y++
		}
		if y-top >= 4 {
			b := band{top: top, bottom: y}
			b.left, b.right = extent(dark, w, b)
			if b.right > b.left {
				bands = append(bands, b)
			}
		}
	}
	return bands
}

// extent returns the columns of the widest run of ink in the band's rows
// whose gaps are shorter than the band's height: a line of MRZ characters,
// which never has a gap wider than a character, and not the edge of the
// card or a photo further out.
func extent(dark []bool, w int, b band) (int, int) {
	cols := make([]bool, w)
	for y := b.top; y < b.bottom; y++ {
		for x, d := range dark[y*w : (y+1)*w] {
			cols[x] = cols[x] || d
		}
	}
	maxGap := max(b.height(), 3)
	bestL, bestR := 0, 0
	l, lastInk := -1, -1
	for x := 0; x <= w; x++ {
		if x < w && !cols[x] {
			continue
		}
		if x == w || l >= 0 && x-lastInk > maxGap {
			if l >= 0 && lastInk-l > bestR-bestL {
				bestL, bestR = l, lastInk+1
			}
			l = x
		}
		if l < 0 {
			l = x
		}
		lastInk = x
	}
	return bestL, bestR
}

// mrzGroup reports whether the bands look like one MRZ and, if so, its
// line length: the lines' heights and extents agree, the lines are evenly
// spaced about 1.7 heights apart, and their length in heights fits TD1
// (three lines of 30: 30) or TD2 or TD3 (two lines of 36 or 44: 0).
func mrzGroup(bs []band) (int, bool) {
	var hs []float64
	for _, b := range bs {
		hs = append(hs, float64(b.height()))
	}
	sort.Float64s(hs)
	h := hs[len(hs)/2]
	if h < 4 {
		return 0, false
	}
	w := float64(bs[len(bs)-1].width())
	for i, b := range bs {
		if math.Abs(float64(b.left-bs[0].left)) > 1.5*h || math.Abs(float64(b.width())-w) > 2.5*h {
			return 0, false
		}
		if hb := float64(b.height()); hb < 0.5*h || hb > 1.8*h {
			return 0, false
		}
		if i > 0 {
			step := float64(b.top+b.bottom-bs[i-1].top-bs[i-1].bottom) / 2
			if step < 1.2*h || step > 2.6*h {
				return 0, false
			}
		}
	}
	// The ink of a line of n OCR-B characters spans about n − 0.3
	// pitches, and a pitch is about one capital's height (less when blur
	// thickens the ink), so the ratio only rules out what is far off.
	ratio := w / h
	switch {
	case len(bs) == 3 && ratio > 30*0.5 && ratio < 30*1.3:
		return 30, true
	case len(bs) == 2 && ratio > 36*0.5 && ratio < 44*1.3:
		return 0, true
	}
	return 0, false
}

func imageRect(x0, y0, x1, y1 int) image.Rectangle { return image.Rect(x0, y0, x1, y1) }
