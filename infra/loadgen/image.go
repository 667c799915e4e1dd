package loadgen

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
)

// PlainFrame is a plain synthetic selfie frame: a skin-coloured block on
// a grey ground, moved a little for each index. No face detector finds a
// face in it.
func PlainFrame(i int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 480, 640))
	fill(img, img.Bounds(), color.RGBA{200, 210, 220, 255})
	fill(img, image.Rect(140+i*4, 160, 340+i*4, 420), color.RGBA{224, 172, 140, 255})
	return img
}

// tinyImage is a small generated picture, different per i.
func tinyImage(w, h, i int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(img, img.Bounds(), color.RGBA{200, 210, 220, 255})
	fill(img, image.Rect(w/4+i, h/4, 3*w/4+i, 3*h/4), color.RGBA{224, 172, 140, 255})
	return img
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

func jpegOf(img image.Image, q int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		return nil, fmt.Errorf("loadgen: encode: %w", err)
	}
	return buf.Bytes(), nil
}

func pngOf(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("demo image: %w", err)
	}
	return buf.Bytes(), nil
}
