package readeval

import (
	"image"
	"image/draw"

	"github.com/idv-oss/idv/document/cardimage"
)

// cardimage's layout, in millimetres (ICAO 9303 parts 4–6): the table seen
// around the document, the MRZ's last baseline above the document's bottom
// edge, baseline to baseline, the first character's cell from the left
// edge, and the character pitch.
const (
	tableMM    = 8.0
	bottomMM   = 3.5
	lineStepMM = 4.23
	leftMM     = 5.0
	pitchMM    = 2.54
)

// glare lights a disc of radius r (a fraction of the photo's width) on the
// MRZ, at a quarter, half or three quarters of its length by sample: at
// strength 1 burnt out to white (cardimage.Glare), below it a veil that
// keeps 1 − strength of the contrast.
func glare(r, strength float64) func(image.Image, card) (image.Image, error) {
	return func(img image.Image, c card) (image.Image, error) {
		cx, cy := mrzSpot(c.lines, []float64{0.25, 0.5, 0.75}[c.index%3])
		lit := cardimage.Glare(img, cx, cy, r)
		if strength >= 1 {
			return lit, nil
		}
		out := image.NewRGBA(img.Bounds())
		draw.Draw(out, out.Rect, img, img.Bounds().Min, draw.Src)
		for i := range out.Pix {
			out.Pix[i] = uint8(float64(out.Pix[i])*(1-strength) + float64(lit.Pix[i])*strength + 0.5)
		}
		return out, nil
	}
}

// mrzSpot returns the point at fraction along of the MRZ's length, midway
// between its first and last baselines less half a character's height, as
// fractions of the width and height of the photo cardimage.Render makes.
func mrzSpot(lines []string, along float64) (cx, cy float64) {
	n := len(lines[0])
	dw, dh := cardimage.Size(n)
	x := tableMM + leftMM + along*float64(n)*pitchMM
	last := tableMM + dh - bottomMM
	first := last - float64(len(lines)-1)*lineStepMM
	y := (first+last)/2 - 1.2 // characters stand about 2.4 mm tall
	return x / (dw + 2*tableMM), y / (dh + 2*tableMM)
}
