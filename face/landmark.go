package face

import (
	"fmt"
	"image"
)

const lmSize = 64

// squared is the square around the box's centre whose side is the box's
// longer side: the crop the landmark model was trained on.
func squared(b Box) Box {
	cx, cy := (b.X1+b.X2)/2, (b.Y1+b.Y2)/2
	h := max(b.Width(), b.Height()) / 2
	return Box{cx - h, cy - h, cx + h, cy + h}
}

// Landmarks locates the 68 points (iBUG 300-W order: jaw 0–16, brows 17–26,
// nose 27–35, eyes 36–47, mouth 48–67) of a face found by Detect. The squared
// box is fed to fr_landmark as a 64×64 grey image scaled by 1/256; the model
// answers each point as a fraction of the crop.
func (e *Engine) Landmarks(img image.Image, f Face) ([68]Point, error) {
	var pts [68]Point
	sq := squared(f.Box)
	ib := img.Bounds()
	if sq.area() == 0 || sq.X2 <= float64(ib.Min.X) || sq.Y2 <= float64(ib.Min.Y) ||
		sq.X1 >= float64(ib.Max.X) || sq.Y1 >= float64(ib.Max.Y) {
		return pts, fmt.Errorf("face: landmarks: %w", ErrNoFace)
	}
	out, err := e.infer(Landmarker, landmarkInput(pixelsOf(img), sq))
	if err != nil {
		return pts, err
	}
	side := sq.Width()
	for i := range pts {
		pts[i] = Point{sq.X1 + float64(out[0][2*i])*side, sq.Y1 + float64(out[0][2*i+1])*side}
	}
	return pts, nil
}

// landmarkInput fills the landmark model's input: the squared box at
// 64×64, grey /256.
func landmarkInput(px *pixels, sq Box) func(in []float32) {
	view := boxView(sq.X1, sq.Y1, sq.X2, sq.Y2, lmSize, lmSize)
	return func(in []float32) {
		px.crop(view, lmSize, lmSize, func(i int, R, G, B float32) { in[i] = grey(R, G, B) / 256 })
	}
}

// grey is ITU-R BT.601 luma.
func grey(R, G, B float32) float32 { return 0.299*R + 0.587*G + 0.114*B }
