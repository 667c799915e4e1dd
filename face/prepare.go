package face

import (
	"image"
	"image/draw"
)

// Prepare returns img in the layout the engine reads in place: an
// *image.RGBA or *image.NRGBA as it is, any other image (a JPEG's
// *image.YCbCr, a grey PNG's *image.Gray, …) converted to *image.RGBA once.
// The conversion gives exactly the colours image.Image's At would. A stage
// that runs several models on one image (detect, landmarks, pose, eyes,
// embed) should prepare it first: each call would otherwise convert the
// whole image again.
func Prepare(img image.Image) image.Image {
	if m, ok := img.(*image.NRGBA); ok {
		return m
	}
	return toRGBA(img)
}

// toRGBA returns img if it is an *image.RGBA, else a copy converted to one.
func toRGBA(img image.Image) *image.RGBA {
	if m, ok := img.(*image.RGBA); ok {
		return m
	}
	b := img.Bounds()
	out := image.NewRGBA(b)
	draw.Draw(out, b, img, b.Min, draw.Src)
	return out
}
