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

// Render is how a synthetic sequence is drawn: how far a turn warps the
// head, how far a blink closes the lids, and what the camera adds.
type Render struct {
	TurnDegrees float64 `json:"turn_degrees"` // warp of a turn step (TurnHead)
	BlinkDepth  float64 `json:"blink_depth"`  // 1: eyes painted shut (CloseEyes); 0.6: 60 % of the way
	Noise       float64 `json:"noise"`        // σ of the sensor noise, grey levels per channel
	// Gain and Offset set the exposure of the whole sequence (Levels);
	// each frame still gets its own offset of up to ±2 levels.
	Gain   float64 `json:"gain"`
	Offset float64 `json:"offset"`
}

// Tuning is the rendering the liveness thresholds were chosen on
// (face/challenge's defaults) and Sequence draws with.
var Tuning = Render{TurnDegrees: TurnDegrees, BlinkDepth: 1, Noise: 3, Gain: 1}

// Sequence builds selfie frames of the photo's person performing steps
// (schemas.StepTurnLeft, StepTurnRight, StepBlink; any other string gives a
// frame looking straight): frame 0 looks straight at the camera, then one
// frame per step. Every frame gets its own sensor noise and exposure (from
// seed), as a camera would, so no two are the same picture. Directions are
// the person's own, in the un-mirrored frame: turning left points the face
// to the image's right. It draws with Tuning.
func Sequence(img image.Image, f Face, steps []string, seed uint64) []*image.RGBA {
	return Rendered(img, f, steps, Tuning, seed)
}

// Rendered is Sequence drawn with r.
func Rendered(img image.Image, f Face, steps []string, r Render, seed uint64) []*image.RGBA {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	if r.Gain != 1 || r.Offset != 0 {
		img = Levels(img, r.Gain, r.Offset)
	}
	frames := []*image.RGBA{sensor(img, rng, r.Noise)}
	for _, step := range steps {
		frames = append(frames, sensor(r.step(img, f, step), rng, r.Noise))
	}
	return frames
}

// Step renders the photo's person performing one step, as Tuning does.
func Step(img image.Image, f Face, step string) image.Image { return Tuning.step(img, f, step) }

func (r Render) step(img image.Image, f Face, step string) image.Image {
	switch step {
	case schemas.StepTurnLeft:
		return TurnHead(img, f.Box, -r.TurnDegrees)
	case schemas.StepTurnRight:
		return TurnHead(img, f.Box, r.TurnDegrees)
	case schemas.StepBlink:
		shut := CloseEyes(img, f.Landmarks)
		if r.BlinkDepth >= 1 {
			return shut
		}
		return mix(rgba(img), shut, r.BlinkDepth)
	}
	return img
}

// mix returns a·(1−w) + b·w, pixel by pixel, into a.
func mix(a, b *image.RGBA, w float64) *image.RGBA {
	for y := 0; y < a.Bounds().Dy(); y++ {
		for x := 0; x < a.Bounds().Dx(); x++ {
			a.SetRGBA(x, y, blend(a.RGBAAt(x, y), b.RGBAAt(x, y), w))
		}
	}
	return a
}

// Sensor returns a copy of img as a camera would deliver it again: Gaussian
// noise (σ 3 grey levels per channel) and an exposure offset of up to ±2
// levels.
func Sensor(img image.Image, rng *rand.Rand) *image.RGBA { return sensor(img, rng, 3) }

func sensor(img image.Image, rng *rand.Rand, sigma float64) *image.RGBA {
	out := rgba(img)
	offset := rng.Float64()*4 - 2
	for i := 0; i < len(out.Pix); i += 4 {
		for c := range 3 {
			out.Pix[i+c] = clamp8(float64(out.Pix[i+c]) + offset + rng.NormFloat64()*sigma)
		}
		out.Pix[i+3] = 255
	}
	return out
}
