package synth

import (
	"image"
	"math/rand/v2"

	"github.com/idv-oss/idv/schemas"
)

// TurnDegrees is how far Sequence turns the head for a turn step. The pose
// model reads a 35° synthetic turn as 19–25° of yaw on the Debian photos
// (docs/measurements.md), above the stage's 15° default.
const TurnDegrees = 35

// Face is where Sequence finds the face in the source photo: its box and
// 68 landmarks, as the face engine reports them.
type Face struct {
	Box       Box
	Landmarks [68]Point
}

// Sequence builds selfie frames of the photo's person performing steps
// (schemas.StepTurnLeft, StepTurnRight, StepBlink; any other string gives a
// frame looking straight): frame 0 looks straight at the camera, then one
// frame per step. Every frame gets its own sensor noise and exposure (from
// seed), as a camera would, so no two are the same picture. Directions are
// the person's own, in the un-mirrored frame: turning left points the face
// to the image's right.
func Sequence(img image.Image, f Face, steps []string, seed uint64) []*image.RGBA {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	frames := []*image.RGBA{Sensor(img, rng)}
	for _, step := range steps {
		frames = append(frames, Sensor(Step(img, f, step), rng))
	}
	return frames
}

// Step renders the photo's person performing one step.
func Step(img image.Image, f Face, step string) image.Image {
	switch step {
	case schemas.StepTurnLeft:
		return TurnHead(img, f.Box, -TurnDegrees)
	case schemas.StepTurnRight:
		return TurnHead(img, f.Box, TurnDegrees)
	case schemas.StepBlink:
		return CloseEyes(img, f.Landmarks)
	}
	return img
}

// Sensor returns a copy of img as a camera would deliver it again: Gaussian
// noise (σ 3 grey levels per channel) and an exposure offset of up to ±2
// levels.
func Sensor(img image.Image, rng *rand.Rand) *image.RGBA {
	out := rgba(img)
	offset := rng.Float64()*4 - 2
	for i := 0; i < len(out.Pix); i += 4 {
		for c := range 3 {
			out.Pix[i+c] = clamp8(float64(out.Pix[i+c]) + offset + rng.NormFloat64()*3)
		}
		out.Pix[i+3] = 255
	}
	return out
}
