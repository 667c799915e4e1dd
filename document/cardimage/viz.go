package cardimage

import (
	"image"
	"math"
	"math/rand/v2"
	"strings"

	xdraw "golang.org/x/image/draw"

	"github.com/idv-oss/idv/document/ocrb/glyph"
)

// Field is one line of text printed in the visual inspection zone (VIZ):
// a caption such as "Persoonsnummer / Personal No." or a value such as a
// BSN. Characters outside the MRZ alphabet (spaces, lower case turned to
// upper case first, punctuation) advance the pen without ink: the VIZ is
// set in OCR-B too, which is all the atlas holds.
type Field struct {
	// X and Y place the top of the first character's cell, as fractions
	// of the document's width and height.
	X, Y float64
	// Pitch is the character advance in millimetres; 1.8 when 0 (about
	// 9-point type, as on the data pages of passports).
	Pitch float64
	Text  string
}

// PortraitBox returns where the portrait goes on a document of the given
// MRZ line length, in fractions of the document's width and height: the
// left part of the data page, above the MRZ (ICAO 9303 part 3, zone V).
func PortraitBox(lineLen int) (x0, y0, x1, y1 float64) {
	dw, dh := size(lineLen)
	cx, cy, h := 0.2*dw, 0.32*dh, 0.52*dh
	w := 0.75 * h
	return (cx - w/2) / dw, (cy - h/2) / dh, (cx + w/2) / dw, (cy + h/2) / dh
}

// Size returns a document's width and height in millimetres from its MRZ
// line length: TD1 (85.6 × 54), TD2 (105 × 74) or TD3 (125 × 88).
func Size(lineLen int) (w, h float64) { return size(lineLen) }

// drawPortrait scales photo to cover the portrait box (cropping what
// overflows, centred) on the document at (ox, oy), s pixels per mm.
func drawPortrait(img *image.RGBA, photo image.Image, lineLen int, ox, oy, s float64) {
	dw, dh := size(lineLen)
	x0, y0, x1, y1 := PortraitBox(lineLen)
	dst := image.Rect(int(ox+x0*dw*s), int(oy+y0*dh*s), int(ox+x1*dw*s), int(oy+y1*dh*s))
	src := photo.Bounds()
	// Crop the photo to the box's aspect ratio, keeping its middle.
	want := float64(dst.Dx()) / float64(dst.Dy())
	if have := float64(src.Dx()) / float64(src.Dy()); have > want {
		w := int(float64(src.Dy()) * want)
		src.Min.X += (src.Dx() - w) / 2
		src.Max.X = src.Min.X + w
	} else {
		h := int(float64(src.Dx()) / want)
		src.Min.Y += (src.Dy() - h) / 4 // faces sit high in a portrait
		src.Max.Y = src.Min.Y + h
	}
	xdraw.ApproxBiLinear.Scale(img, dst, photo, src, xdraw.Src, nil)
}

// drawFields prints the fields in OCR-B on the document at (ox, oy).
func drawFields(img *image.RGBA, atlas *glyph.Atlas, fields []Field, lineLen int, ox, oy, s float64) {
	dw, dh := size(lineLen)
	for _, f := range fields {
		pitch := f.Pitch
		if pitch == 0 {
			pitch = 1.8
		}
		scale := pitch * s / glyph.CellWidth
		top := oy + f.Y*dh*s - glyph.CapTop*scale
		for i, c := range []byte(strings.ToUpper(f.Text)) {
			if strings.IndexByte(glyph.Alphabet, c) < 0 {
				continue
			}
			drawGlyph(img, atlas, c, ox+f.X*dw*s+float64(i)*pitch*s, top, scale)
		}
	}
}

// Perspective returns img as a camera held not quite square to it would
// see it: each corner of the picture moved inwards by up to tilt of the
// picture's size (seeded), the rest following the projective map those
// corners define, sampled bilinearly, the uncovered border filled with
// the edge colour.
func Perspective(img image.Image, tilt float64, seed uint64) *image.RGBA {
	src := toRGBA(img)
	w, h := float64(src.Rect.Dx()), float64(src.Rect.Dy())
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b9))
	jitter := func(v float64) float64 { return v * tilt * (0.3 + 0.7*rng.Float64()) }
	from := [4][2]float64{{0, 0}, {w, 0}, {w, h}, {0, h}}
	to := [4][2]float64{
		{jitter(w), jitter(h)}, {w - jitter(w), jitter(h)},
		{w - jitter(w), h - jitter(h)}, {jitter(w), h - jitter(h)},
	}
	hm, ok := homography(to, from) // output pixel → source pixel
	out := image.NewRGBA(src.Rect)
	if !ok {
		copy(out.Pix, src.Pix)
		return out
	}
	for y := range src.Rect.Dy() {
		for x := range src.Rect.Dx() {
			u, v := float64(x)+0.5, float64(y)+0.5
			d := hm[6]*u + hm[7]*v + 1
			out.SetRGBA(x, y, rgba(sample(src, (hm[0]*u+hm[1]*v+hm[2])/d-0.5, (hm[3]*u+hm[4]*v+hm[5])/d-0.5)))
		}
	}
	return out
}

// homography solves for the projective map taking each from[i] to to[i]:
// h[0..7] of x' = (h0 x + h1 y + h2)/(h6 x + h7 y + 1), y' likewise with
// h3..h5. It reports false for a degenerate quadrilateral.
func homography(from, to [4][2]float64) ([8]float64, bool) {
	var a [8][9]float64
	for i := range 4 {
		x, y, u, v := from[i][0], from[i][1], to[i][0], to[i][1]
		a[2*i] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		a[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	// Gaussian elimination with partial pivoting.
	for c := range 8 {
		p := c
		for r := c + 1; r < 8; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if math.Abs(a[p][c]) < 1e-12 {
			return [8]float64{}, false
		}
		a[c], a[p] = a[p], a[c]
		for r := range 8 {
			if r == c {
				continue
			}
			f := a[r][c] / a[c][c]
			for k := c; k < 9; k++ {
				a[r][k] -= f * a[c][k]
			}
		}
	}
	var h [8]float64
	for i := range 8 {
		h[i] = a[i][8] / a[i][i]
	}
	return h, true
}

// Photograph turns a rendered document into a plausible phone photo of
// it: a little perspective (corners moved in by up to 2 % of the
// picture), then sensor noise (σ = 2.5 levels). Encode it as a JPEG for
// the last step a phone takes.
func Photograph(img image.Image, seed uint64) *image.RGBA {
	return Noise(Perspective(img, 0.02, seed), 2.5, seed)
}
