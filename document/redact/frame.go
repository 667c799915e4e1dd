package redact

import (
	"image"
	"math"

	"github.com/idv-oss/idv/document/ocrb"
)

// The ICAO 9303 geometry the frame is fitted to, in millimetres: the MRZ's
// character pitch and line spacing, its first character's distance from
// the document's left edge, its last baseline's above the bottom edge
// (the values package cardimage draws with), and how far above its
// baseline the reader's cell is centred.
const (
	pitchMM    = 2.54
	lineStepMM = 4.23
	mrzLeftMM  = 5.0
	bottomMM   = 3.5
	cellMidMM  = 1.2
)

// documentSize is the width and height in millimetres of a document whose
// MRZ has lines of n characters: ID-1 (TD1), ID-2 (TD2), ID-3 (TD3).
func documentSize(lines, n int) (float64, float64) {
	switch {
	case lines == 3:
		return 85.6, 54
	case n == 36:
		return 105, 74
	}
	return 125, 88
}

// frame places the upright document in the photo: the point x mm from its
// left edge and y mm from its top is at o + x·ex + y·ey. It is fitted to
// the MRZ the reader read, so it follows the photo's scale, rotation
// (upside down included) and position; perspective it does not model, and
// the zones' margins absorb the few millimetres a slight tilt costs at the
// document's far edge.
type frame struct {
	o, ex, ey [2]float64
	w, h      float64 // the document, in mm
	mrzTop    float64 // the MRZ's top, in mm from the document's top
}

// locate fits the frame to the first and last cells of every MRZ line:
// the scale and direction from the cells' spacing along each line, the
// origin from where the cells sit. It reports false when the result has
// no cells of a known layout.
func locate(res *ocrb.Result) (frame, bool) {
	if res == nil || len(res.Lines) < 2 {
		return frame{}, false
	}
	L, n := len(res.Lines), len(res.Lines[0])
	if n < 2 {
		return frame{}, false
	}
	var f frame
	f.w, f.h = documentSize(L, n)
	centre := func(line, pos int) ([2]float64, bool) {
		r, ok := res.Cells(line, pos, pos)
		return [2]float64{float64(r.Min.X+r.Max.X) / 2, float64(r.Min.Y+r.Max.Y) / 2}, ok
	}
	type pair struct{ photo, mm [2]float64 }
	var pts []pair
	for i := 1; i <= L; i++ {
		if len(res.Lines[i-1]) != n {
			return frame{}, false
		}
		y := f.h - bottomMM - float64(L-i)*lineStepMM - cellMidMM
		for _, j := range []int{1, n} {
			c, ok := centre(i, j)
			if !ok {
				return frame{}, false
			}
			pts = append(pts, pair{c, [2]float64{mrzLeftMM + (float64(j)-0.5)*pitchMM, y}})
		}
	}
	// Direction and scale: the mean of first-to-last vectors over the
	// lines, each n−1 pitches long.
	for k := 0; k < len(pts); k += 2 {
		span := float64(n-1) * pitchMM
		f.ex[0] += (pts[k+1].photo[0] - pts[k].photo[0]) / span / float64(L)
		f.ex[1] += (pts[k+1].photo[1] - pts[k].photo[1]) / span / float64(L)
	}
	if math.Hypot(f.ex[0], f.ex[1]) < 0.5 { // under half a pixel per mm
		return frame{}, false
	}
	f.ey = [2]float64{-f.ex[1], f.ex[0]} // a quarter turn on, same scale
	// Origin: the mean of what each cell says it is.
	for _, p := range pts {
		f.o[0] += (p.photo[0] - p.mm[0]*f.ex[0] - p.mm[1]*f.ey[0]) / float64(len(pts))
		f.o[1] += (p.photo[1] - p.mm[0]*f.ex[1] - p.mm[1]*f.ey[1]) / float64(len(pts))
	}
	f.mrzTop = f.h - bottomMM - float64(L-1)*lineStepMM - 4.5 // a capital's height and a little
	return f, true
}

// at maps x, y mm on the document to the photo.
func (f frame) at(x, y float64) (float64, float64) {
	return f.o[0] + x*f.ex[0] + y*f.ey[0], f.o[1] + x*f.ex[1] + y*f.ey[1]
}

// zone returns the photo rectangle holding the box b (fractions of the
// document) grown by a millimetre on each side, clipped to the photo
// bounds and kept off the MRZ (above).
func (f frame) zone(b Box, res *ocrb.Result, bounds image.Rectangle) image.Rectangle {
	r := f.rect(b, 1).Intersect(bounds)
	if mrz, ok := res.Bounds(); ok {
		r = f.above(r, mrz)
	}
	return r
}

// rect returns the photo rectangle holding the box b (fractions of the
// document) grown by grow mm on each side.
func (f frame) rect(b Box, grow float64) image.Rectangle {
	x0, y0 := b.X0*f.w-grow, b.Y0*f.h-grow
	x1, y1 := b.X1*f.w+grow, b.Y1*f.h+grow
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, c := range [4][2]float64{{x0, y0}, {x1, y0}, {x0, y1}, {x1, y1}} {
		x, y := f.at(c[0], c[1])
		minX, maxX = math.Min(minX, x), math.Max(maxX, x)
		minY, maxY = math.Min(minY, y), math.Max(maxY, y)
	}
	return image.Rect(int(math.Floor(minX)), int(math.Floor(minY)), int(math.Ceil(maxX)), int(math.Ceil(maxY)))
}

// above returns r cut back so that it stays on the document's side of
// the MRZ's edge mrz (the rectangle of every cell read): above it when the
// document is upright, below when it is upside down. A zone grown to cover
// a turned box would otherwise reach into the MRZ, which must stay legible.
func (f frame) above(r, mrz image.Rectangle) image.Rectangle {
	if f.ey[1] >= 0 {
		r.Max.Y = min(r.Max.Y, mrz.Min.Y)
	} else {
		r.Min.Y = max(r.Min.Y, mrz.Max.Y)
	}
	return r
}

// viz is the document above the MRZ: the whole visual inspection zone.
func (f frame) viz() Box { return Box{X0: 0, Y0: 0, X1: 1, Y1: f.mrzTop / f.h} }
