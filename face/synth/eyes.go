package synth

import (
	"image"
	"image/color"
	"math"
)

// Point is an image position, as the face engine's landmarks.
type Point struct{ X, Y float64 }

// CloseEyes returns a copy of img with both eyes painted shut: each eye's
// ellipse (from its six landmarks, 36–41 and 42–47 of the 68) is filled with
// the mean colour of the skin just below it, and a dark lid line is drawn
// from corner to corner, both blended softly at the edges.
func CloseEyes(img image.Image, lm [68]Point) *image.RGBA {
	out := rgba(img)
	o := img.Bounds().Min
	for _, eye := range [][]Point{lm[36:42], lm[42:48]} {
		pts := make([]Point, len(eye))
		for i, p := range eye {
			pts[i] = Point{p.X - float64(o.X), p.Y - float64(o.Y)}
		}
		paintShut(out, pts)
	}
	return out
}

func paintShut(img *image.RGBA, eye []Point) {
	l, r := eye[0], eye[3] // corners
	cx, cy := (l.X+r.X)/2, (l.Y+r.Y)/2
	half := math.Hypot(r.X-l.X, r.Y-l.Y) / 2
	ang := math.Atan2(r.Y-l.Y, r.X-l.X)
	a, b := half*1.35, half*0.9 // ellipse semi-axes, covering lids and lashes
	skin := meanColour(img, image.Rect(int(cx-half), int(cy+1.2*half), int(cx+half), int(cy+1.8*half)))
	lid := color.RGBA{uint8(float64(skin.R) * 0.45), uint8(float64(skin.G) * 0.4), uint8(float64(skin.B) * 0.4), 255}
	cos, sin := math.Cos(ang), math.Sin(ang)
	for y := int(cy - a - 2); y <= int(cy+a+2); y++ {
		for x := int(cx - a - 2); x <= int(cx+a+2); x++ {
			if !(image.Point{x, y}.In(img.Bounds())) {
				continue
			}
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			u, v := dx*cos+dy*sin, -dx*sin+dy*cos
			d := math.Sqrt(u*u/(a*a) + v*v/(b*b))
			if d >= 1 {
				continue
			}
			wSkin := math.Min(1, (1-d)/0.3)
			c := blend(img.RGBAAt(x, y), skin, wSkin)
			// The lid line: a slightly drooping arc, thickest in the middle.
			arc := v - 0.25*half*(1-(u*u)/(half*half))
			if math.Abs(u) < half*1.05 {
				if wl := 1 - math.Abs(arc)/(0.12*half+0.6); wl > 0 {
					c = blend(c, lid, wl)
				}
			}
			img.SetRGBA(x, y, c)
		}
	}
}

func meanColour(img *image.RGBA, r image.Rectangle) color.RGBA {
	r = r.Intersect(img.Bounds())
	var s [3]float64
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := img.RGBAAt(x, y)
			s[0] += float64(c.R)
			s[1] += float64(c.G)
			s[2] += float64(c.B)
			n++
		}
	}
	if n == 0 {
		return color.RGBA{160, 120, 100, 255}
	}
	return color.RGBA{clamp8(s[0] / float64(n)), clamp8(s[1] / float64(n)), clamp8(s[2] / float64(n)), 255}
}

func blend(a, b color.RGBA, w float64) color.RGBA {
	mix := func(x, y uint8) uint8 { return clamp8(float64(x)*(1-w) + float64(y)*w) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255}
}
