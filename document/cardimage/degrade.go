package cardimage

import (
	"image"
	"image/draw"
	"math"
	"math/rand/v2"
)

// toRGBA copies any image into an *image.RGBA at the origin.
func toRGBA(img image.Image) *image.RGBA {
	if m, ok := img.(*image.RGBA); ok && m.Rect.Min == (image.Point{}) {
		return m
	}
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	return out
}

// Blur returns img under a Gaussian blur of sigma pixels (separable).
func Blur(img image.Image, sigma float64) *image.RGBA {
	src := toRGBA(img)
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	var sum float64
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	pass := func(in *image.RGBA, dx, dy int) *image.RGBA {
		out := image.NewRGBA(in.Rect)
		for y := range h {
			for x := range w {
				var acc [3]float64
				for i, kv := range k {
					sx := min(max(x+(i-r)*dx, 0), w-1)
					sy := min(max(y+(i-r)*dy, 0), h-1)
					p := in.Pix[sy*in.Stride+4*sx:]
					acc[0] += kv * float64(p[0])
					acc[1] += kv * float64(p[1])
					acc[2] += kv * float64(p[2])
				}
				out.SetRGBA(x, y, rgba(acc))
			}
		}
		return out
	}
	return pass(pass(src, 1, 0), 0, 1)
}

// Scale returns img resized by factor f (< 1 shrinks, box-averaged).
func Scale(img image.Image, f float64) *image.RGBA {
	src := toRGBA(img)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	nw, nh := max(int(float64(w)*f), 1), max(int(float64(h)*f), 1)
	out := image.NewRGBA(image.Rect(0, 0, nw, nh))
	for y := range nh {
		sy0, sy1 := y*h/nh, max((y+1)*h/nh, y*h/nh+1)
		for x := range nw {
			sx0, sx1 := x*w/nw, max((x+1)*w/nw, x*w/nw+1)
			var acc [3]float64
			n := 0.0
			for sy := sy0; sy < sy1; sy++ {
				for sx := sx0; sx < sx1; sx++ {
					p := src.Pix[sy*src.Stride+4*sx:]
					acc[0] += float64(p[0])
					acc[1] += float64(p[1])
					acc[2] += float64(p[2])
					n++
				}
			}
			out.SetRGBA(x, y, rgba([3]float64{acc[0] / n, acc[1] / n, acc[2] / n}))
		}
	}
	return out
}

// Rotate returns img turned by deg degrees (counter-clockwise) about its
// centre, bilinear, the uncovered corners filled with the edge colour.
func Rotate(img image.Image, deg float64) *image.RGBA {
	src := toRGBA(img)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	out := image.NewRGBA(src.Rect)
	sin, cos := math.Sincos(deg * math.Pi / 180)
	cx, cy := float64(w)/2, float64(h)/2
	for y := range h {
		for x := range w {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			// Inverse map: image y grows downwards, so a visual
			// counter-clockwise turn is a clockwise one in these axes.
			sx := cos*dx - sin*dy + cx - 0.5
			sy := sin*dx + cos*dy + cy - 0.5
			out.SetRGBA(x, y, rgba(sample(src, sx, sy)))
		}
	}
	return out
}

// sample returns src's colour at (sx, sy), pixel centres at integer
// coordinates, interpolated bilinearly; outside the image it extends the
// edge.
func sample(src *image.RGBA, sx, sy float64) [3]float64 {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	at := func(x, y int) [3]float64 {
		x, y = min(max(x, 0), w-1), min(max(y, 0), h-1)
		p := src.Pix[y*src.Stride+4*x:]
		return [3]float64{float64(p[0]), float64(p[1]), float64(p[2])}
	}
	x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
	fx, fy := sx-float64(x0), sy-float64(y0)
	a, b, c, d := at(x0, y0), at(x0+1, y0), at(x0, y0+1), at(x0+1, y0+1)
	var v [3]float64
	for i := range v {
		v[i] = (a[i]*(1-fx)+b[i]*fx)*(1-fy) + (c[i]*(1-fx)+d[i]*fx)*fy
	}
	return v
}

// Noise adds Gaussian noise of sigma levels to every channel.
func Noise(img image.Image, sigma float64, seed uint64) *image.RGBA {
	src := toRGBA(img)
	out := image.NewRGBA(src.Rect)
	rng := rand.New(rand.NewPCG(seed, 7))
	for i := 0; i < len(src.Pix); i += 4 {
		for c := range 3 {
			out.Pix[i+c] = uint8(math.Min(math.Max(float64(src.Pix[i+c])+rng.NormFloat64()*sigma, 0), 255))
		}
		out.Pix[i+3] = 255
	}
	return out
}

// Glare burns out a disc of radius r (a fraction of the image width) at
// (cx, cy) (fractions of width and height) to white, with a soft rim.
func Glare(img image.Image, cx, cy, r float64) *image.RGBA {
	out := image.NewRGBA(toRGBA(img).Rect)
	draw.Draw(out, out.Rect, toRGBA(img), image.Point{}, draw.Src)
	w, h := out.Rect.Dx(), out.Rect.Dy()
	px, py, pr := cx*float64(w), cy*float64(h), r*float64(w)
	for y := range h {
		for x := range w {
			d := math.Hypot(float64(x)+0.5-px, float64(y)+0.5-py) / pr
			if d >= 1.5 {
				continue
			}
			a := 1.0
			if d > 1 {
				a = (1.5 - d) / 0.5
			}
			o := out.RGBAAt(x, y)
			out.SetRGBA(x, y, rgba([3]float64{
				float64(o.R)*(1-a) + 255*a, float64(o.G)*(1-a) + 255*a, float64(o.B)*(1-a) + 255*a,
			}))
		}
	}
	return out
}

// Grey returns img as a greyscale copy (BT.601 luma), still RGB, the way a
// photo of a black-and-white photocopy looks, with a uniform warm tint.
func Grey(img image.Image) *image.RGBA {
	src := toRGBA(img)
	out := image.NewRGBA(src.Rect)
	for i := 0; i < len(src.Pix); i += 4 {
		l := 0.299*float64(src.Pix[i]) + 0.587*float64(src.Pix[i+1]) + 0.114*float64(src.Pix[i+2])
		c := rgba([3]float64{l + 6, l + 3, l - 4})
		out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = c.R, c.G, c.B, 255
	}
	return out
}

// Crop returns the part of img inside the fractional rectangle
// [x0, x1) × [y0, y1) of its width and height.
func Crop(img image.Image, x0, y0, x1, y1 float64) *image.RGBA {
	src := toRGBA(img)
	w, h := float64(src.Rect.Dx()), float64(src.Rect.Dy())
	r := image.Rect(int(x0*w), int(y0*h), int(x1*w), int(y1*h))
	out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Rect, src, r.Min, draw.Src)
	return out
}
