package ocrb

import (
	"image"
	"math"
)

// cellBox is where one character cell was read, in the straightened
// working plane: the pitch wide, from a little above the capitals to a
// little below the baseline.
type cellBox struct{ x0, y0, x1, y1 float64 }

// placement maps the working plane back to the photo: the plane was the
// photo box-averaged down by scale, perhaps turned half a turn, then
// straightened by skew degrees about its centre.
type placement struct {
	origin image.Point
	scale  float64
	w, h   int
	turned bool
	skew   float64
}

// photo maps a point of the straightened plane to the photo.
func (p placement) photo(u, v float64) (float64, float64) {
	sin, cos := math.Sincos(-p.skew * math.Pi / 180)
	cx, cy := float64(p.w-1)/2, float64(p.h-1)/2
	du, dv := u-cx, v-cy
	x, y := cx+cos*du-sin*dv, cy+sin*du+cos*dv
	if p.turned {
		x, y = float64(p.w)-x, float64(p.h)-y
	}
	return float64(p.origin.X) + x*p.scale, float64(p.origin.Y) + y*p.scale
}

// Cells returns the smallest rectangle of the photo holding the character
// cells first to last (ICAO positions, counted from 1) of the MRZ line
// (counted from 1), so that a caller can mask or crop them. A rotated line
// makes the rectangle a little larger than the cells. It returns false
// when the result has no such cells.
func (r *Result) Cells(line, first, last int) (image.Rectangle, bool) {
	if r == nil || line < 1 || line > len(r.cells) || first < 1 || last < first || last > len(r.cells[line-1]) ||
		r.place.scale == 0 {
		return image.Rectangle{}, false
	}
	cells := r.cells[line-1][first-1 : last]
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, c := range cells {
		for _, corner := range [4][2]float64{{c.x0, c.y0}, {c.x1, c.y0}, {c.x0, c.y1}, {c.x1, c.y1}} {
			x, y := r.place.photo(corner[0], corner[1])
			minX, maxX = math.Min(minX, x), math.Max(maxX, x)
			minY, maxY = math.Min(minY, y), math.Max(maxY, y)
		}
	}
	return image.Rect(int(math.Floor(minX)), int(math.Floor(minY)), int(math.Ceil(maxX)), int(math.Ceil(maxY))), true
}

// Bounds returns the rectangle of the photo holding every cell read: the
// whole MRZ. It returns false when the result has no cells.
func (r *Result) Bounds() (image.Rectangle, bool) {
	var out image.Rectangle
	if r == nil {
		return out, false
	}
	ok := false
	for i, l := range r.cells {
		if c, found := r.Cells(i+1, 1, len(l)); found {
			out, ok = out.Union(c), true
		}
	}
	return out, ok
}
