package face

import (
	"fmt"
	"image"
	"math"
)

const poseSize = 224

// HeadPose is a head's orientation in degrees. Yaw is positive when the head
// turns towards the image's left (the person's right), as the pose model
// reports it; see Engine.HeadPose.
type HeadPose struct {
	Yaw, Pitch, Roll float64
}

// ImageNet normalisation, which the pose model expects.
var (
	poseMean = [3]float32{0.485, 0.456, 0.406}
	poseStd  = [3]float32{0.229, 0.224, 0.225}
)

// poseCrop is the loose crop the pose model was trained on: the detector
// box widened by 40 % of its size on each side and upwards, 20 % downwards,
// then squared on its centre.
func poseCrop(b Box) Box {
	w, h := b.Width(), b.Height()
	loose := Box{b.X1 - 0.4*w, b.Y1 - 0.4*h, b.X2 + 0.4*w, b.Y2 + 0.2*h}
	return squared(loose)
}

// HeadPose estimates the head's yaw, pitch and roll from the face's loose crop,
// resized to 224×224 and normalised as ImageNet. Each of the model's three
// heads answers 66 bins of 3°; the angle is the softmax's expectation,
// Σ p·i·3 − 99.
func (e *Engine) HeadPose(img image.Image, f Face) (HeadPose, error) {
	c := poseCrop(f.Box)
	if c.area() == 0 {
		return HeadPose{}, fmt.Errorf("face: pose: %w", ErrNoFace)
	}
	out, err := e.infer(Pose, poseInput(pixelsOf(img), c))
	if err != nil {
		return HeadPose{}, err
	}
	return HeadPose{Yaw: binAngle(out[0]), Pitch: binAngle(out[1]), Roll: binAngle(out[2])}, nil
}

// poseInput fills the pose model's input: the loose crop c at 224×224,
// normalised as ImageNet.
func poseInput(px *pixels, c Box) func(in []float32) {
	const plane = poseSize * poseSize
	view := boxView(c.X1, c.Y1, c.X2, c.Y2, poseSize, poseSize)
	return func(in []float32) {
		px.crop(view, poseSize, poseSize, func(i int, R, G, B float32) {
			in[i] = (R/255 - poseMean[0]) / poseStd[0]
			in[plane+i] = (G/255 - poseMean[1]) / poseStd[1]
			in[2*plane+i] = (B/255 - poseMean[2]) / poseStd[2]
		})
	}
}

// binAngle is the expected angle of a 66-bin, 3°-per-bin classifier head.
func binAngle(logits []float32) float64 {
	p := softmax(logits)
	var deg float64
	for i, v := range p {
		deg += v * float64(i) * 3
	}
	return deg - 99
}

// softmax of logits, computed stably.
func softmax(logits []float32) []float64 {
	m := math.Inf(-1)
	for _, v := range logits {
		m = math.Max(m, float64(v))
	}
	p := make([]float64, len(logits))
	var sum float64
	for i, v := range logits {
		p[i] = math.Exp(float64(v) - m)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}
