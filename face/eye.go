package face

import (
	"image"
	"math"
)

const eyeSize = 24

// Eyes is how closed each eye looks, as the eye model's probability of
// "closed" (0 open … 1 closed). Left is the eye on the image's left.
type Eyes struct {
	Left, Right float64
}

// Closed is the larger of the two: a blink closes both, and a face turned
// away hides one eye, which then should not count as open.
func (e Eyes) Closed() float64 { return math.Max(e.Left, e.Right) }

// Eyes measures eye closure from the 68 landmarks (eyes 36–41 and 42–47):
// each eye's square crop, centred on its six points and twice as wide as the
// corner-to-corner distance, is fed to fr_eye as 24×24 grey /255.
func (e *Engine) Eyes(img image.Image, lm [68]Point) (Eyes, error) {
	px := pixelsOf(img)
	l, err := e.eyeClosed(px, lm[36:42])
	if err != nil {
		return Eyes{}, err
	}
	r, err := e.eyeClosed(px, lm[42:48])
	if err != nil {
		return Eyes{}, err
	}
	return Eyes{Left: l, Right: r}, nil
}

func (e *Engine) eyeClosed(px *pixels, pts []Point) (float64, error) {
	out, err := e.infer(Eye, eyeInput(px, eyeCrop(pts)))
	if err != nil {
		return 0, err
	}
	return softmax(out[0])[0], nil // index 0 = closed
}

// eyeCrop is one eye's square: centred on its six points, twice as wide as
// the corner-to-corner distance (at least 4 pixels).
func eyeCrop(pts []Point) Box {
	var c Point
	for _, p := range pts {
		c.X += p.X / float64(len(pts))
		c.Y += p.Y / float64(len(pts))
	}
	half := math.Max(math.Hypot(pts[3].X-pts[0].X, pts[3].Y-pts[0].Y), 2) // corners 0 and 3
	return Box{c.X - half, c.Y - half, c.X + half, c.Y + half}
}

// eyeInput fills the eye model's input: the crop c at 24×24, grey /255.
func eyeInput(px *pixels, c Box) func(in []float32) {
	view := boxView(c.X1, c.Y1, c.X2, c.Y2, eyeSize, eyeSize)
	return func(in []float32) {
		px.crop(view, eyeSize, eyeSize, func(i int, R, G, B float32) { in[i] = grey(R, G, B) / 255 })
	}
}
