package face

import (
	"image"
	"image/draw"
)

// Prepare returns img in the layout the engine reads fastest (*image.RGBA,
// or the *image.Gray and *image.NRGBA it reads directly), converting a JPEG's
// *image.YCbCr once. A stage that runs several models on one image (detect,
// landmarks, pose, eyes, embed) should prepare it first: every crop and
// resize would otherwise convert each pixel it reads again.
func Prepare(img image.Image) image.Image {
	switch img.(type) {
	case *image.RGBA, *image.NRGBA, *image.Gray:
		return img
	}
	b := img.Bounds()
	out := image.NewRGBA(b)
	draw.Draw(out, b, img, b.Min, draw.Src)
	return out
}
