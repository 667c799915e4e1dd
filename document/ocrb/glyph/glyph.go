// Package glyph holds the OCR-B alphabet of the machine-readable zone
// (0–9, A–Z, <) as a greyscale atlas rendered once from Debian's
// fonts-ocr-b (public domain) and committed, so neither the reader nor its
// tests need the font: the reader shrinks these glyphs into its matching
// templates, and the test renderer draws MRZs with them.
//
// Regenerate with `go generate ./document/ocrb/glyph`, which finds
// or fetches the font through scripts/ocrb-font.sh. Glyphs come from OCR B
// Regular (OCRB.otf) except those x/image's CFF reader cannot load (8 and <,
// drawn with the flex1 operator), which come from OCR B Sharp (OCRBS.otf),
// the same design with square stroke ends.
package glyph

//go:generate go run ./internal/atlasgen

import (
	"bytes"
	_ "embed"
	"fmt"
	"image"
	"image/png"
	"strings"
)

//go:embed atlas.png
var atlasPNG []byte

// Atlas is the decoded atlas: one CellWidth × CellHeight cell per character
// of Alphabet, left to right, ink as white (255 = full coverage) on black.
type Atlas struct {
	img *image.Gray
}

// Load decodes the embedded atlas.
func Load() (*Atlas, error) {
	img, err := png.Decode(bytes.NewReader(atlasPNG))
	if err != nil {
		return nil, fmt.Errorf("glyph: decode atlas: %w", err)
	}
	g, ok := img.(*image.Gray)
	if !ok || g.Bounds().Dx() != CellWidth*len(Alphabet) || g.Bounds().Dy() != CellHeight {
		return nil, fmt.Errorf("glyph: atlas is %T %v, want a %d×%d greyscale image", img, img.Bounds(), CellWidth*len(Alphabet), CellHeight)
	}
	return &Atlas{img: g}, nil
}

// Coverage returns the ink coverage (0–1) of character c at cell pixel
// (x, y); 0 outside the cell or for a character outside Alphabet.
func (a *Atlas) Coverage(c byte, x, y int) float32 {
	i := strings.IndexByte(Alphabet, c)
	if i < 0 || x < 0 || y < 0 || x >= CellWidth || y >= CellHeight {
		return 0
	}
	return float32(a.img.Pix[y*a.img.Stride+i*CellWidth+x]) / 255
}

// Weighted returns the atlas with every stroke grown (w > 0) or thinned
// (w < 0) by |w| pixels: each pixel takes the greatest (or least) coverage
// within a disc of radius |w|. Print is rarely the font's exact weight: ink
// spreads, laser engraving runs heavy, a worn ribbon prints thin.
func (a *Atlas) Weighted(w int) *Atlas {
	if w == 0 {
		return a
	}
	r := max(w, -w)
	src := a.img
	out := image.NewGray(src.Rect)
	for y := range CellHeight {
		for x := range src.Rect.Dx() {
			cell := x / CellWidth * CellWidth // discs stay inside their cell
			v := src.Pix[y*src.Stride+x]
			for dy := -r; dy <= r; dy++ {
				for dx := -r; dx <= r; dx++ {
					nx, ny := x+dx, y+dy
					if dx*dx+dy*dy > r*r || nx < cell || nx >= cell+CellWidth || ny < 0 || ny >= CellHeight {
						continue
					}
					if n := src.Pix[ny*src.Stride+nx]; w > 0 {
						v = max(v, n)
					} else {
						v = min(v, n)
					}
				}
			}
			out.Pix[y*out.Stride+x] = v
		}
	}
	return &Atlas{img: out}
}
