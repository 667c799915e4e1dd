package redact

import (
	"image"
	"math"
	"slices"

	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/face"
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
	// Kind is the kind of document, from the MRZ the app sent (KindOf);
	// nil takes it from the MRZ read in the photo.
	Kind *Kind
	// Read is the MRZ already read from the photo (by the document
	// check's comparison); when set, Reader is not asked again.
	Read *ocrb.Result
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
	// VIZ are the zones of the visual inspection zone that may print a
	// personal number: those of the document's layout (Layout names it),
	// or, by the fallback (VIZByRule), the whole VIZ.
	VIZ       []image.Rectangle
	Layout    string
	VIZByRule bool
}

// All returns every zone.
func (z Zones) All() []image.Rectangle {
	return slices.Concat(z.Portraits, z.Numbers, z.VIZ)
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
//
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
//   - The personal number printed in the visual inspection zone (VIZ), by
//     the document's layout (Layouts), chosen by its kind (Finder.Kind, or
//     KindOf the MRZ read): the layout's zones, placed on the document
//     located from the MRZ read in the photo (frame), each grown by a
//     millimetre. When no layout is known for the kind, the fallback masks
//     the whole VIZ: the document above the MRZ. When the photo shows no
//     readable MRZ, nothing places the document, and the whole photo is
//     masked — unless the layout says the side without the MRZ prints no
//     personal number (OtherSideClear).
//
// Why not look for the number instead: the reader knows the MRZ's font,
// pitch and place; a VIZ is set in fonts, sizes and places of each
// issuer's choosing, so finding no nine-digit number that passes the
// eleven-proof would not prove there is none, and one missed BSN is a
// breach of art. 46 UAVG, while masking too much costs only fields the
// MRZ, which stays legible, repeats.
func (f Finder) Find(img image.Image) Zones {
	b := img.Bounds()
	var z Zones
	res := f.Read
	if res == nil && f.Reader != nil {
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
	z.VIZ, z.Layout, z.VIZByRule = f.vizZones(res, b)
	return z
}

// vizZones finds the VIZ zones that may print a personal number, the
// layout's name when one is known, and whether the fallback applied.
func (f Finder) vizZones(res *ocrb.Result, b image.Rectangle) ([]image.Rectangle, string, bool) {
	kind, known := Kind{}, false
	if f.Kind != nil {
		kind, known = *f.Kind, true
	} else if res != nil {
		lines := make([]string, len(res.Lines))
		for i, l := range res.Lines {
			lines[i] = l.String()
		}
		kind, known = KindOf(lines)
	}
	var layout Layout
	if known {
		layout, known = LayoutFor(kind)
	}
	fr, located := locate(res)
	switch {
	case located && known:
		var out []image.Rectangle
		for _, box := range layout.Numbers {
			out = append(out, fr.zone(box, res, b))
		}
		return out, layout.Name, false
	case located:
		return []image.Rectangle{fr.zone(fr.viz(), res, b)}, "", true
	case known && layout.OtherSideClear:
		return nil, layout.Name, false
	}
	return []image.Rectangle{b}, "", true
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
// the document above the MRZ, the document located from the MRZ read
// (frame), a millimetre to spare; the left 45 % of the photo when the MRZ
// was not read.
func portraitByRule(res *ocrb.Result, b image.Rectangle) image.Rectangle {
	whole := image.Rect(b.Min.X, b.Min.Y, b.Min.X+b.Dx()*45/100, b.Max.Y)
	fr, ok := locate(res)
	if !ok {
		return whole
	}
	r := fr.zone(Box{X0: 0, Y0: 0, X1: 0.4, Y1: fr.mrzTop / fr.h}, res, b)
	if r.Empty() {
		return whole
	}
	return r
}
