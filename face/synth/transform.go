package synth

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
)

// Transform is a named change of a photo, for `idv eval facematch`.
type Transform struct {
	Name  string
	Apply func(image.Image) (image.Image, error)
}

// Transforms are the changes the evaluation applies to each photo: the
// original, lighting (darker, brighter, low contrast), scale (half size),
// rotation (±10°), strong JPEG compression, a print-like halftone and a
// screen-like moiré.
func Transforms() []Transform {
	pix := func(f func(image.Image) image.Image) func(image.Image) (image.Image, error) {
		return func(img image.Image) (image.Image, error) { return f(img), nil }
	}
	return []Transform{
		{"original", pix(func(img image.Image) image.Image { return img })},
		{"dark", pix(func(img image.Image) image.Image { return Levels(img, 0.55, 0) })},
		{"bright", pix(func(img image.Image) image.Image { return Levels(img, 1.25, 30) })},
		{"low_contrast", pix(func(img image.Image) image.Image { return Levels(img, 0.5, 64) })},
		{"half_size", pix(func(img image.Image) image.Image { return Scale(img, 0.5) })},
		{"rotate_10", pix(func(img image.Image) image.Image { return Rotate(img, 10) })},
		{"rotate_-10", pix(func(img image.Image) image.Image { return Rotate(img, -10) })},
		{"jpeg_q15", func(img image.Image) (image.Image, error) { return JPEG(img, 15) }},
		{"halftone", pix(Halftone)},
		{"moire", pix(Moire)},
	}
}

// Levels maps every channel v to gain·v + offset.
func Levels(img image.Image, gain, offset float64) *image.RGBA {
	out := rgba(img)
	for i := 0; i < len(out.Pix); i += 4 {
		for c := range 3 {
			out.Pix[i+c] = clamp8(float64(out.Pix[i+c])*gain + offset)
		}
	}
	return out
}

// Scale resizes by factor with bilinear sampling (box-averaged when
// shrinking by more than half).
func Scale(img image.Image, factor float64) *image.RGBA {
	src := rgba(img)
	b := src.Bounds()
	w, h := max(1, int(float64(b.Dx())*factor)), max(1, int(float64(b.Dy())*factor))
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	n := max(1, int(math.Ceil(1/factor)))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s [3]float64
			for j := 0; j < n; j++ {
				for i := 0; i < n; i++ {
					c := sample(src, (float64(x)+(float64(i)+0.5)/float64(n))/factor, (float64(y)+(float64(j)+0.5)/float64(n))/factor)
					s[0] += float64(c.R)
					s[1] += float64(c.G)
					s[2] += float64(c.B)
				}
			}
			k := float64(n * n)
			out.SetRGBA(x, y, color.RGBA{clamp8(s[0] / k), clamp8(s[1] / k), clamp8(s[2] / k), 255})
		}
	}
	return out
}

// Rotate turns the image by degrees (counter-clockwise) about its centre,
// keeping its size; corners that come from outside are edge colour.
func Rotate(img image.Image, degrees float64) *image.RGBA {
	src := rgba(img)
	b := src.Bounds()
	out := image.NewRGBA(b)
	cx, cy := float64(b.Dx())/2, float64(b.Dy())/2
	s, c := math.Sincos(degrees * math.Pi / 180)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			out.SetRGBA(x, y, sample(src, cx+c*dx-s*dy, cy+s*dx+c*dy))
		}
	}
	return out
}

// JPEG encodes at quality and decodes again.
func JPEG(img image.Image, quality int) (image.Image, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("synth: jpeg: %w", err)
	}
	out, err := jpeg.Decode(&buf)
	if err != nil {
		return nil, fmt.Errorf("synth: jpeg: %w", err)
	}
	return out, nil
}

// Halftone imitates a print: each channel is thresholded against a 45°
// dot screen of period 4 pixels, then lightly blurred as paper and ink
// would.
func Halftone(img image.Image) image.Image {
	out := rgba(img)
	const period = 4.0
	for y := 0; y < out.Bounds().Dy(); y++ {
		for x := 0; x < out.Bounds().Dx(); x++ {
			u := (float64(x) + float64(y)) / math.Sqrt2
			v := (float64(x) - float64(y)) / math.Sqrt2
			// Dot screen threshold in 0..1.
			t := (math.Cos(2*math.Pi*u/period)*math.Cos(2*math.Pi*v/period) + 1) / 2
			i := out.PixOffset(x, y)
			for c := range 3 {
				if float64(out.Pix[i+c])/255 > t {
					out.Pix[i+c] = 245
				} else {
					out.Pix[i+c] = 20
				}
			}
		}
	}
	return blur3(out)
}

// Moire imitates a photo of a screen: an RGB sub-pixel stripe pattern
// beating against the camera's grid, plus a slow interference ripple.
func Moire(img image.Image) image.Image {
	out := rgba(img)
	for y := 0; y < out.Bounds().Dy(); y++ {
		for x := 0; x < out.Bounds().Dx(); x++ {
			i := out.PixOffset(x, y)
			ripple := 0.85 + 0.15*math.Sin(2*math.Pi*(float64(x)*0.9+float64(y)*0.35)/7.3)
			for c := range 3 {
				stripe := 0.75
				if (x+c)%3 == 0 {
					stripe = 1.1
				}
				out.Pix[i+c] = clamp8(float64(out.Pix[i+c]) * stripe * ripple)
			}
		}
	}
	return out
}

// blur3 is a 3×3 box blur.
func blur3(img *image.RGBA) *image.RGBA {
	out := image.NewRGBA(img.Bounds())
	b := img.Bounds()
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			var s [3]float64
			n := 0.0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					if !(image.Point{x + dx, y + dy}.In(b)) {
						continue
					}
					c := img.RGBAAt(x+dx, y+dy)
					s[0] += float64(c.R)
					s[1] += float64(c.G)
					s[2] += float64(c.B)
					n++
				}
			}
			out.SetRGBA(x, y, color.RGBA{clamp8(s[0] / n), clamp8(s[1] / n), clamp8(s[2] / n), 255})
		}
	}
	return out
}
