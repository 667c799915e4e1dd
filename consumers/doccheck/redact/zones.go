package redact

import (
	"image"
	"math"

	"github.com/idv-oss/idv/consumers/doccheck/ocrb"
	"github.com/idv-oss/idv/consumers/face"
)

// FaceDetector finds faces in an image (face.Engine's Detect).
type FaceDetector interface {
	Detect(img image.Image) ([]face.Face, error)
}

// MRZReader finds and reads the MRZ of a document photo (ocrb.Reader).
type MRZReader interface {
	Read(img image.Image) (*ocrb.Result, error)
}

// Finder finds the zones of a document photo to black out. Either part
// may be nil; what it would have found is then covered by a broader rule.
type Finder struct {
	Faces  FaceDetector
	Reader MRZReader
}

// Zones are what a Finder found, and how.
type Zones struct {
	// Portraits are the portrait zones: each detected face grown to take
	// in hair, ears and neck; or, without a detection, the portrait's
	// place by the ICAO layout.
	Portraits []image.Rectangle
	// PortraitByRule reports the portrait zone came from the layout
	// rule, not from a detected face.
	PortraitByRule bool
	// Numbers are the MRZ cells that may hold a personal number.
	Numbers []image.Rectangle
	// MRZByRule reports the MRZ was not read, so the whole band where an
	// MRZ would be is masked instead of its cells.
	MRZByRule bool
}

// All returns every zone.
func (z Zones) All() []image.Rectangle {
	return append(append([]image.Rectangle(nil), z.Portraits...), z.Numbers...)
}

// Find finds the zones of img to black out:
//
//   - The portrait: every face the detector finds (the main portrait and,
//     on Dutch and many other documents, the smaller ghost image), grown by
//     half its width and height on each side. When there is no detector,
//     it fails or finds nothing, the rule of ICAO 9303 applies instead:
//     the portrait sits in the left part of the data page, above the MRZ.
//     With the MRZ read, the document's edges follow from it (the MRZ's
//     pitch is 2.54 mm, its first character 5 mm from the left edge, the
//     card 85.6 × 54 mm for TD1, 105 × 74 for TD2, 125 × 88 for TD3) and
//     the left 40 % of the document above the MRZ is masked; without it,
//     the left 45 % of the whole photo.
//   - The personal number: the MRZ cells of the optional data, which hold
//     the BSN on Dutch documents issued before 2021 and a personal number
//     on many others: TD1 line 1 positions 16–30 (the Dutch BSN is 16–24
//     with its check digit) and line 2 positions 19–29; TD2 line 2
//     positions 29–35; TD3 line 2 positions 29–43 (the number and its check
//     digit). When the MRZ cannot be read (no reader, nothing found, not
//     a layout it knows), the whole MRZ band is masked: the cells the
//     reader saw if any, else the bottom 35 % of the photo, where the MRZ
//     of a document photographed upright lies.
//
// The BSN printed elsewhere on a Dutch document (the back of the 2014–2021
// identity card, the personal page of the passport) is not located: no
// layout of ours finds it reliably. Copy only the side the policy names.
func (f Finder) Find(img image.Image) Zones {
	b := img.Bounds()
	var z Zones
	var res *ocrb.Result
	if f.Reader != nil {
		if r, err := f.Reader.Read(img); err == nil {
			res = r
		}
	}
	z.Numbers, z.MRZByRule = numberCells(res, b)

	if f.Faces != nil {
		if faces, err := f.Faces.Detect(img); err == nil {
			for _, fc := range faces {
				w, h := fc.Box.Width(), fc.Box.Height()
				r := image.Rect(int(fc.Box.X1-0.5*w), int(fc.Box.Y1-0.5*h), int(math.Ceil(fc.Box.X2+0.5*w)), int(math.Ceil(fc.Box.Y2+0.5*h)))
				z.Portraits = append(z.Portraits, r.Intersect(b))
			}
		}
	}
	if len(z.Portraits) == 0 {
		z.Portraits, z.PortraitByRule = []image.Rectangle{portraitByRule(res, b)}, true
	}
	return z
}

// numberCells returns the MRZ cells that may hold a personal number, or
// the whole MRZ band (true) when the MRZ's layout is unknown.
func numberCells(res *ocrb.Result, b image.Rectangle) ([]image.Rectangle, bool) {
	var spans [][3]int // line, first, last
	if res != nil {
		switch {
		case len(res.Lines) == 3 && len(res.Lines[0]) == 30:
			spans = [][3]int{{1, 16, 30}, {2, 19, 29}}
		case len(res.Lines) == 2 && len(res.Lines[1]) == 36:
			spans = [][3]int{{2, 29, 35}}
		case len(res.Lines) == 2 && len(res.Lines[1]) == 44:
			spans = [][3]int{{2, 29, 43}}
		}
	}
	var out []image.Rectangle
	for _, s := range spans {
		r, ok := res.Cells(s[0], s[1], s[2])
		if !ok {
			out = nil
			break
		}
		out = append(out, r)
	}
	if len(out) > 0 {
		return out, false
	}
	if r, ok := res.Bounds(); ok {
		return []image.Rectangle{r}, true
	}
	return []image.Rectangle{image.Rect(b.Min.X, b.Max.Y-b.Dy()*35/100, b.Max.X, b.Max.Y)}, true
}

// portraitByRule is where ICAO 9303 puts the portrait: the left 40 % of
// the document above the MRZ, the document found from the MRZ read; the
// left 45 % of the photo when the MRZ was not read.
func portraitByRule(res *ocrb.Result, b image.Rectangle) image.Rectangle {
	whole := image.Rect(b.Min.X, b.Min.Y, b.Min.X+b.Dx()*45/100, b.Max.Y)
	if res == nil || len(res.Lines) == 0 {
		return whole
	}
	n := len(res.Lines[len(res.Lines)-1])
	first, ok1 := res.Cells(1, 1, 1)
	last, ok2 := res.Cells(len(res.Lines), n, n)
	mrz, ok3 := res.Bounds()
	if !ok1 || !ok2 || !ok3 || n < 2 {
		return whole
	}
	// Pixels per millimetre from the pitch: the centres of the first and
	// last cells are n−1 pitches of 2.54 mm apart (a slight rotation is
	// ignored: the margin and the 40 % cover it).
	pxmm := math.Hypot(float64(last.Min.X+last.Max.X-first.Min.X-first.Max.X)/2,
		float64(last.Min.Y+last.Max.Y-first.Min.Y-first.Max.Y)/2) / (float64(n-1) * 2.54)
	w, h := 125.0, 88.0
	switch {
	case len(res.Lines) == 3:
		w, h = 85.6, 54
	case n == 36:
		w, h = 105, 74
	}
	// The first cell is 5 mm in from the left edge, the last baseline
	// 3.5 mm above the bottom; a millimetre to spare on each.
	left := float64(first.Min.X) - 6*pxmm
	bottom := float64(mrz.Max.Y) + 4.5*pxmm
	r := image.Rect(int(left), int(bottom-(h+2)*pxmm), int(math.Ceil(left+0.4*w*pxmm)), mrz.Min.Y)
	if res.Angle > 90 { // upside down: the same, turned about the MRZ
		right := float64(first.Max.X) + 6*pxmm
		top := float64(mrz.Min.Y) - 4.5*pxmm
		r = image.Rect(int(right-0.4*w*pxmm), mrz.Max.Y, int(math.Ceil(right)), int(math.Ceil(top+(h+2)*pxmm)))
	}
	if r = r.Intersect(b); r.Empty() {
		return whole
	}
	return r
}
