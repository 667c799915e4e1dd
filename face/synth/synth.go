// Package synth makes test inputs for the face stages out of a few lawful
// photos: the transformed copies (lighting, scale, rotation, JPEG, a
// print-like halftone, a screen-like moiré) that `idv eval facematch` scores,
// and the synthetic selfie sequences (head turned, eyes closed) that
// `idv eval liveness` and the end-to-end tests use.
//
// These are image manipulations, not people: a head "turn" shifts the face's
// inner features sideways across a cylinder while its outline stays put, and
// a "blink" paints each eye over with the skin around it and a lid line. They
// exercise the pose and eye models the way a real turn and blink would, but
// figures measured on them are not calibration on a real population.
package synth

import (
	"image"
	"image/color"
	"image/draw"
	"math"
)

// Box is a face's bounding box, as the face engine reports it.
type Box struct{ X1, Y1, X2, Y2 float64 }

// rgba copies any image into a fresh *image.RGBA with bounds from 0,0.
func rgba(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	return out
}

// sample reads img bilinearly at continuous (x, y), clamped to the edges.
func sample(img *image.RGBA, x, y float64) color.RGBA {
	b := img.Bounds()
	x = math.Min(math.Max(x-0.5, 0), float64(b.Dx()-1))
	y = math.Min(math.Max(y-0.5, 0), float64(b.Dy()-1))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, b.Dx()-1), min(y0+1, b.Dy()-1)
	fx, fy := x-float64(x0), y-float64(y0)
	var out [4]float64
	for i, w := range [4]float64{(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy} {
		px := [4][2]int{{x0, y0}, {x1, y0}, {x0, y1}, {x1, y1}}[i]
		p := img.Pix[img.PixOffset(px[0], px[1]):]
		for c := range 4 {
			out[c] += w * float64(p[c])
		}
	}
	return color.RGBA{clamp8(out[0]), clamp8(out[1]), clamp8(out[2]), clamp8(out[3])}
}

func clamp8(v float64) uint8 {
	return uint8(math.Min(math.Max(math.Round(v), 0), 255))
}

// TurnHead returns a copy of img in which the face in box looks turned by
// about degrees (positive towards the image's left, like the pose model's
// yaw). Each row through the face is treated as a cylinder of the box's
// half-width: the column seen at angle φ shows the surface at φ − θ·cos φ,
// so the nose and eyes slide sideways while the outline stays where it was.
// The effect fades out above and below the face.
func TurnHead(img image.Image, box Box, degrees float64) *image.RGBA {
	src := rgba(img)
	out := rgba(img)
	b := src.Bounds()
	x0, y0 := img.Bounds().Min.X, img.Bounds().Min.Y
	cx := (box.X1+box.X2)/2 - float64(x0)
	r := (box.X2 - box.X1) / 2 * 1.1
	top, bottom := box.Y1-float64(y0), box.Y2-float64(y0)
	h := bottom - top
	theta := -degrees * math.Pi / 180
	for y := 0; y < b.Dy(); y++ {
		fy := float64(y) + 0.5
		w := fade(fy, top-0.1*h, bottom+0.05*h, 0.2*h)
		if w == 0 {
			continue
		}
		for x := max(0, int(cx-r)); x < min(b.Dx(), int(math.Ceil(cx+r))); x++ {
			u := (float64(x) + 0.5 - cx) / r
			if math.Abs(u) >= 1 {
				continue
			}
			phi := math.Asin(u)
			sx := cx + r*math.Sin(phi-w*theta*math.Cos(phi))
			out.SetRGBA(x, y, sample(src, sx, fy))
		}
	}
	return out
}

// fade is 1 inside [lo, hi] and falls linearly to 0 over width outside it.
func fade(v, lo, hi, width float64) float64 {
	switch {
	case v >= lo && v <= hi:
		return 1
	case v < lo:
		return math.Max(0, 1-(lo-v)/width)
	default:
		return math.Max(0, 1-(v-hi)/width)
	}
}
