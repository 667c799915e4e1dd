package redact

import (
	"image"
	"image/color"
	"image/draw"
)

// Mask returns a copy of img, its bounds kept, with every zone grown by
// margin pixels on each side and filled opaque black. Zones reaching past
// the image are clipped to it.
func Mask(img image.Image, zones []image.Rectangle, margin int) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(b)
	draw.Draw(out, b, img, b.Min, draw.Src)
	black := image.NewUniform(color.RGBA{A: 255})
	for _, z := range zones {
		r := z.Inset(-margin).Intersect(b)
		if !r.Empty() {
			draw.Draw(out, r, black, image.Point{}, draw.Src)
		}
	}
	return out
}
