package redact

import (
	"fmt"
	"image"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// The watermark's look: text rising at 30°, repeated in staggered rows
// across the whole image, a muted red at 40 % opacity, which shows on the
// card's print, on its pale stock and on the blacked-out zones alike.
const (
	wmAngle   = 30.0 // degrees above the horizontal
	wmOpacity = 0.4
)

var wmColour = [3]float64{190, 30, 30}

// Stamp draws text across img in place, diagonally and repeated, so that
// no part of the copy larger than a few lines of text is free of it. The
// font is Go Bold (golang.org/x/image/font/gofont), embedded: nothing is
// fetched.
func Stamp(img *image.RGBA, text string) error {
	b := img.Bounds()
	if b.Empty() {
		return nil
	}
	// The text's height is about 1/16 of the shorter side.
	size := max(10, float64(min(b.Dx(), b.Dy()))/16)
	mask, err := textMask(text, size)
	if err != nil {
		return err
	}
	// Tiles: the text and a gap of two em, rows 2.2 text heights apart,
	// each row shifted by a third of a tile so the copies do not line up.
	tileW := float64(mask.Rect.Dx()) + 2*size
	rowH := 2.2 * float64(mask.Rect.Dy())
	sin, cos := math.Sincos(wmAngle * math.Pi / 180)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			fx, fy := float64(x-b.Min.X), float64(y-b.Min.Y)
			// (u, v): along the text and across it.
			u := fx*cos - fy*sin
			v := fx*sin + fy*cos
			row := math.Floor(v / rowH)
			tv := v - row*rowH
			if tv >= float64(mask.Rect.Dy()) {
				continue
			}
			tu := math.Mod(u+row*tileW/3, tileW)
			if tu < 0 {
				tu += tileW
			}
			if tu >= float64(mask.Rect.Dx()) {
				continue
			}
			a := float64(mask.AlphaAt(int(tu), int(tv)).A) / 255 * wmOpacity
			if a == 0 {
				continue
			}
			i := img.PixOffset(x, y)
			for c := range 3 {
				img.Pix[i+c] = uint8(float64(img.Pix[i+c])*(1-a) + wmColour[c]*a + 0.5)
			}
		}
	}
	return nil
}

// textMask renders text, one line, into an alpha mask of its size.
func textMask(text string, size float64) (*image.Alpha, error) {
	f, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, fmt.Errorf("redact: font: %w", err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, fmt.Errorf("redact: font: %w", err)
	}
	defer face.Close()
	m := face.Metrics()
	w := font.MeasureString(face, text).Ceil() + 2
	h := (m.Ascent + m.Descent).Ceil()
	mask := image.NewAlpha(image.Rect(0, 0, max(w, 1), max(h, 1)))
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: face, Dot: fixed.Point26_6{X: fixed.I(1), Y: m.Ascent}}
	d.DrawString(text)
	return mask, nil
}
