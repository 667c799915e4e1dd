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
	// The model was trained on a crop 2.7 times the detector's box.
	cx, cy := (f.Box.X1+f.Box.X2)/2, (f.Box.Y1+f.Box.Y2)/2
	h := 2.7 * max(f.Box.Width(), f.Box.Height()) / 2
	if h <= 0 {
		return 0, fmt.Errorf("face: passive: %w", ErrNoFace)
	}
	const plane = passiveSize * passiveSize
	in := make([]float32, 3*plane)
	newRaster(img).crop(boxView(cx-h, cy-h, cx+h, cy+h, passiveSize, passiveSize), passiveSize, passiveSize,
		func(i int, R, G, B float32) {
			in[i], in[plane+i], in[2*plane+i] = R, G, B
		})
	out, err := e.run(Liveness, in)
	if err != nil {
		return 0, err
	}
	return softmax(out[0])[0], nil
}
