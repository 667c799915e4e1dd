// Package cardimage draws synthetic photos of identity documents for tests,
// the demo of `idv dev` and `idv card`:
// a coloured card with a guilloche, a portrait, printed text and an MRZ set
// in OCR-B at the ICAO pitch, lying on a table, and the ways a phone photo
// of one goes wrong (blur, low resolution, a slight rotation, sensor noise,
// glare, a greyscale copy, a card cut off by the frame; JPEG recompression
// is synth.JPEG, shared with the face inputs). No real person's document or
// picture is involved.
//
// The MRZ glyphs come from the same atlas the reader builds its templates
// from (package glyph), so read rates measured on these images are an upper
// bound for real photos.
package cardimage

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"

	"github.com/idv-oss/idv/document/ocrb/glyph"
)

// Physical layout, in millimetres (ICAO 9303 parts 4–6).
const (
	pitchMM      = 2.54 // character pitch of the MRZ
	lineStepMM   = 4.23 // baseline to baseline
	bottomMM     = 3.5  // last baseline above the document's bottom edge
	mrzLeftMM    = 5.0  // first character's cell from the left edge
	cornerRadMM  = 3.18 // ID-1 corner radius
	pageMarginMM = 8.0  // table visible around the document
)

// size returns a document's width and height in millimetres from its MRZ
// line length: TD1 (ID card), TD2, TD3 (passport page).
func size(lineLen int) (w, h float64) {
	switch {
	case lineLen <= 30:
		return 85.6, 54
	case lineLen <= 36:
		return 105, 74
	default:
		return 125, 88
	}
}

// Options shape the photo.
type Options struct {
	// PxPerMM is the photo's resolution on the document; 12 (a card about
	// 1000 pixels wide, MRZ pitch about 30 pixels) when 0.
	PxPerMM float64
	// Seed varies the guilloche, the text and the table.
	Seed uint64
	// Weight changes the MRZ's stroke weight by this many atlas pixels on
	// each side (one is 0.044 mm; OCR-B's strokes are about 8 wide):
	// positive for the heavier strokes of ink spread or laser engraving,
	// negative for thinner ones. The reader's templates keep the font's
	// own weight, so this measures how it copes with print that is not
	// the font.
	Weight int
	// Portrait, when set, is printed in the portrait's place
	// (PortraitBox) instead of the drawn head: a real photo makes the
	// card usable for face matching.
	Portrait image.Image
	// Fields, when set, are printed in the visual inspection zone
	// instead of the grey bars that stand for text.
	Fields []Field
	// NoMRZ leaves the MRZ out: the side of a document that bears none
	// (an identity card's front, the back of a passport's data page),
	// sized by the MRZ lines all the same.
	NoMRZ bool
}

// Render draws the document with the given MRZ lines at the bottom, on a
// table, square to the frame.
func Render(mrz []string, opt Options) (*image.RGBA, error) {
	atlas, err := glyph.Load()
	if err != nil {
		return nil, err
	}
	if len(mrz) == 0 {
		return nil, fmt.Errorf("cardimage: no MRZ lines")
	}
	s := opt.PxPerMM
	if s == 0 {
		s = 12
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x1dc0ffee))
	dw, dh := size(len(mrz[0]))
	W, H := int((dw+2*pageMarginMM)*s), int((dh+2*pageMarginMM)*s)
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	ox, oy := pageMarginMM*s, pageMarginMM*s
	table := [3]float64{float64(70 + rng.IntN(40)), float64(55 + rng.IntN(30)), float64(40 + rng.IntN(30))}
	hue := rng.Float64() * 2 * math.Pi
	base := [3]float64{215 + 15*math.Cos(hue), 220 + 15*math.Cos(hue+2), 210 + 15*math.Cos(hue+4)}
	freq := 0.8 + rng.Float64()*0.6
	for y := range H {
		for x := range W {
			mx, my := (float64(x)+0.5)/s-pageMarginMM, (float64(y)+0.5)/s-pageMarginMM
			var c [3]float64
			if inside(mx, my, dw, dh) {
				// Card stock: a pale tint, a guilloche of thin
				// coloured waves, brighter towards one corner.
				c = base
				wave := math.Sin(mx*freq+3*math.Sin(my*0.35)) * math.Sin(my*freq*1.3+2*math.Sin(mx*0.2))
				if wave > 0.93 {
					c = [3]float64{c[0] - 60, c[1] - 25, c[2] + 10}
				}
				light := 1 + 0.04*(mx/dw) - 0.04*(my/dh)
				for i := range c {
					c[i] *= light
				}
			} else {
				n := 6 * math.Sin(float64(x)*0.05+math.Sin(float64(y)*0.02)*4)
				c = [3]float64{table[0] + n, table[1] + n, table[2] + n}
			}
			img.SetRGBA(x, y, rgba(c))
		}
	}
	if opt.Portrait != nil {
		drawPortrait(img, opt.Portrait, len(mrz[0]), ox, oy, s)
	} else {
		drawHead(img, ox+0.2*dw*s, oy+0.32*dh*s, 0.12*dh*s)
	}
	ink := atlas.Weighted(opt.Weight)
	if opt.Fields != nil {
		drawFields(img, atlas, opt.Fields, len(mrz[0]), ox, oy, s)
	} else {
		drawBars(img, rng, ox, oy, dw, dh, s)
	}
	if opt.NoMRZ {
		return img, nil
	}
	// The MRZ, last line bottomMM above the bottom edge.
	scale := pitchMM * s / glyph.CellWidth // image pixels per atlas pixel
	for i, line := range mrz {
		baseline := oy + (dh-bottomMM-float64(len(mrz)-1-i)*lineStepMM)*s
		for j := 0; j < len(line); j++ {
			left := ox + (mrzLeftMM+float64(j)*pitchMM)*s
			drawGlyph(img, ink, line[j], left, baseline-glyph.Baseline*scale, scale)
		}
	}
	return img, nil
}

// drawHead draws a face-coloured oval under dark hair about (px, py),
// radius pr pixels: a portrait nobody could take for a person.
func drawHead(img *image.RGBA, px, py, pr float64) {
	fill(img, func(x, y float64) (bool, [3]float64) {
		dx, dy := (x-px)/pr, (y-py)/(1.3*pr)
		switch {
		case dx*dx+dy*dy < 1 && dy > -0.55:
			return true, [3]float64{205, 160, 130}
		case dx*dx+dy*dy < 1.3:
			return true, [3]float64{60, 40, 30}
		}
		return false, [3]float64{}
	})
}

// drawBars draws dark bars of text height right of the portrait, where a
// document's printed fields go: text nobody could read.
func drawBars(img *image.RGBA, rng *rand.Rand, ox, oy, dw, dh, s float64) {
	for line := range 5 {
		top := oy + (0.12+0.11*float64(line))*dh*s
		left := ox + 0.4*dw*s
		width := (0.25 + 0.3*rng.Float64()) * dw * s
		for word := left; word < left+width; {
			wlen := (4 + 10*rng.Float64()) * s
			fillRect(img, word, top, min(word+wlen, left+width), top+1.8*s, [3]float64{40, 40, 60})
			word += wlen + 1.5*s
		}
	}
}

// inside reports whether (x, y) mm lies on a w×h document with ID-1
// rounded corners.
func inside(x, y, w, h float64) bool {
	if x < 0 || y < 0 || x > w || y > h {
		return false
	}
	r := cornerRadMM
	cx, cy := math.Min(math.Max(x, r), w-r), math.Min(math.Max(y, r), h-r)
	return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r
}

// drawGlyph darkens img under the glyph's coverage, sampled 3×3 per pixel
// from the atlas cell placed at (left, top) with the given scale.
func drawGlyph(img *image.RGBA, atlas *glyph.Atlas, c byte, left, top, scale float64) {
	x0, y0 := int(left), int(top)
	x1, y1 := int(left+glyph.CellWidth*scale)+1, int(top+glyph.CellHeight*scale)+1
	ink := [3]float64{25, 25, 30}
	for y := max(y0, 0); y < min(y1, img.Rect.Dy()); y++ {
		for x := max(x0, 0); x < min(x1, img.Rect.Dx()); x++ {
			var cov float32
			for sy := range 3 {
				for sx := range 3 {
					ax := (float64(x)+(float64(sx)+0.5)/3-left)/scale - 0.5
					ay := (float64(y)+(float64(sy)+0.5)/3-top)/scale - 0.5
					cov += bilinear(atlas, c, ax, ay)
				}
			}
			blend(img, x, y, ink, float64(cov)/9)
		}
	}
}

func bilinear(a *glyph.Atlas, c byte, x, y float64) float32 {
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := float32(x-x0), float32(y-y0)
	ix, iy := int(x0), int(y0)
	top := a.Coverage(c, ix, iy)*(1-fx) + a.Coverage(c, ix+1, iy)*fx
	bot := a.Coverage(c, ix, iy+1)*(1-fx) + a.Coverage(c, ix+1, iy+1)*fx
	return top*(1-fy) + bot*fy
}

func blend(img *image.RGBA, x, y int, c [3]float64, a float64) {
	if a <= 0 {
		return
	}
	o := img.RGBAAt(x, y)
	img.SetRGBA(x, y, rgba([3]float64{
		float64(o.R)*(1-a) + c[0]*a, float64(o.G)*(1-a) + c[1]*a, float64(o.B)*(1-a) + c[2]*a,
	}))
}

func fill(img *image.RGBA, f func(x, y float64) (bool, [3]float64)) {
	for y := range img.Rect.Dy() {
		for x := range img.Rect.Dx() {
			if ok, c := f(float64(x)+0.5, float64(y)+0.5); ok {
				img.SetRGBA(x, y, rgba(c))
			}
		}
	}
}

func fillRect(img *image.RGBA, x0, y0, x1, y1 float64, c [3]float64) {
	for y := max(int(y0), 0); y < min(int(y1), img.Rect.Dy()); y++ {
		for x := max(int(x0), 0); x < min(int(x1), img.Rect.Dx()); x++ {
			img.SetRGBA(x, y, rgba(c))
		}
	}
}

func rgba(c [3]float64) color.RGBA {
	u := func(v float64) uint8 { return uint8(math.Round(math.Min(math.Max(v, 0), 255))) }
	return color.RGBA{u(c[0]), u(c[1]), u(c[2]), 255}
}
