package face

import (
	"fmt"
	"image"
)

const passiveSize = 128

// Passive is the passive-liveness model's probability that the face is
// live. It did not separate screens and prints from live faces in the
// measurements recorded in FACTS, so it is advisory only: record it, never
// decide on it.
func (e *Engine) Passive(img image.Image, f Face) (float64, error) {
	c := passiveCrop(f.Box)
	if c.area() == 0 {
		return 0, fmt.Errorf("face: passive: %w", ErrNoFace)
	}
	out, err := e.infer(Liveness, passiveInput(pixelsOf(img), c))
	if err != nil {
		return 0, err
	}
	return softmax(out[0])[0], nil
}

// passiveCrop is the square the model was trained on: 2.7 times the
// detector's box, on its centre.
func passiveCrop(b Box) Box {
	cx, cy := (b.X1+b.X2)/2, (b.Y1+b.Y2)/2
	h := 2.7 * max(b.Width(), b.Height()) / 2
	return Box{cx - h, cy - h, cx + h, cy + h}
}

// passiveInput fills the passive model's input: the crop c at 128×128, as
// raw RGB 0–255.
func passiveInput(px *pixels, c Box) func(in []float32) {
	const plane = passiveSize * passiveSize
	view := boxView(c.X1, c.Y1, c.X2, c.Y2, passiveSize, passiveSize)
	return func(in []float32) {
		px.crop(view, passiveSize, passiveSize, func(i int, R, G, B float32) {
			in[i], in[plane+i], in[2*plane+i] = R, G, B
		})
	}
}
