package ocrb

import "github.com/idv-oss/idv/document/raster"

// darkRatio: a pixel is ink when it is darker than this fraction of its
// neighbourhood's mean. Printed MRZ ink is far darker than card stock; the
// pale guilloche behind it is not.
const darkRatio = 0.78

// scratch is the working memory of one Read: the integral image rows and
// ink mask of binarise and the ink sample of skew, each grown as needed
// and overwritten by the next use. A Reader keeps them between Reads.
type scratch struct {
	sums   []float64
	dark   []bool
	xs, ys []float64
}

// binarise marks the pixels of p clearly darker than their surroundings
// (a square window of window(p) pixels), using an integral image so the
// window's size costs nothing. The mask is sc's, valid until the next
// binarise.
func (sc *scratch) binarise(p *raster.Plane) []bool {
	w, h := p.W, p.H
	r := max(window(p)/2, 1)
	ii := newIntegral(p, 2*r+2, &sc.sums)
	dark := grow(&sc.dark, w*h)
	for y := range h {
		y0, y1 := max(y-r, 0), min(y+r+1, h)
		bottom := ii.row(y1) // makes the rows down to y1, keeping y0
		top := ii.row(y0)
		pix, out := p.Pix[y*w:][:w], dark[y*w:][:w]
		for x, v := range pix {
			x0, x1 := max(x-r, 0), min(x+r+1, w)
			s := bottom[x1] - top[x1] - bottom[x0] + top[x0]
			out[x] = isDark(float64(v), s, float64((y1-y0)*(x1-x0)))
		}
	}
	return dark
}

// integral is the integral image of a plane (row j, column i: the sum of
// the pixels above row j and left of column i), made a row at a time as
// they are asked for, and holding only the last few: a window of 2r+1
// rows needs the rows r above and r+1 below the one it is centred on, not
// the whole image. Each row is summed as the whole image's would be.
type integral struct {
	p    *raster.Plane
	keep int
	// rows holds row j at (j mod keep); next is the first row not made.
	rows []float64
	next int
}

func newIntegral(p *raster.Plane, keep int, buf *[]float64) *integral {
	ii := &integral{p: p, keep: keep, rows: grow(buf, keep*(p.W+1))}
	clear(ii.slot(0)) // row 0 is all zeros
	ii.next = 1
	return ii
}

func (ii *integral) slot(j int) []float64 {
	w := ii.p.W + 1
	return ii.rows[j%ii.keep*w:][:w]
}

// row returns row j, which must be no more than keep−1 rows above the
// lowest asked for so far.
func (ii *integral) row(j int) []float64 {
	for ; ii.next <= j; ii.next++ {
		above, cur := ii.slot(ii.next-1), ii.slot(ii.next)
		var sum float64
		cur[0] = 0
		for x, v := range ii.p.Pix[(ii.next-1)*ii.p.W:][:ii.p.W] {
			sum += float64(v)
			cur[x+1] = above[x+1] + sum
		}
	}
	return ii.slot(j)
}

// isDark says whether a pixel of value v is ink in a window of area
// pixels summing to s: darker than darkRatio of the window's mean and
// more than 12 below it. Most pixels are within 12 of the mean, and
// s ≤ (v+12)·area, which needs no division, settles them: v + 12 and its
// product with the area are exact in float64 (v is a float32 of at most
// 255, the area a count of pixels), so then s/area rounds to at most
// v + 12 and the mean is not 12 above v, as the division would have
// found.
func isDark(v, s, area float64) bool {
	if s <= (v+12)*area {
		return false
	}
	mean := s / area
	return v < darkRatio*mean && mean-v > 12
}

// grow returns (*buf)[:n], reallocating *buf when it is shorter. The
// contents are whatever the last use left.
func grow[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	return (*buf)[:n]
}

// window is the binarisation window for a plane: about the pitch of a TD1
// MRZ spanning the plane's width.
func window(p *raster.Plane) int { return max(p.W/40, 9) }
