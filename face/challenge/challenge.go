// Package challenge judges whether selfie frames perform the drawn liveness
// challenge (schemas.Challenge): looking straight at the camera first, then
// each step — a head turn read by the pose model's yaw, a blink read by the
// eye model's closure — in order. Every frame must show the first frame's
// person (embedding similarity), and no two frames may be the same picture
// (a still replayed as a sequence). The passive-liveness model's score is
// reported as advisory only: it did not tell prints from faces
// (docs/measurements.md, "Face match and liveness, measured"), so no
// verdict rests on it.
//
// Measure reads one decoded frame with the face engine; Judge decides over
// the frames in the order taken; CheckTiming checks the frames' reported
// capture times against the server's clock (timing.go). The light
// challenge's frames are judged by face/reflection. The liveness stage (consumers/liveness)
// and the face evaluation (face/evaluation) both use them. A Frame holds
// biometric data (GDPR art. 9): callers keep it in memory only and clear it
// when done.
package challenge

import (
	"image"

	"github.com/idv-oss/idv/face"
)

// Defaults of Config. Measured on synthetic sequences made from Debian's
// test photos (docs/measurements.md, "Face match and liveness, measured"); not calibrated
// on a real population.
const (
	DefaultTurnYaw       = 15.0 // degrees a turn must reach
	DefaultNeutralYaw    = 10.0 // degrees the first frame may be off straight
	DefaultBlink         = 0.5  // closure probability of both eyes for a blink
	DefaultSamePerson    = 0.45 // lowest cosine similarity to the first frame
	DefaultReplayDiff    = 0.35 // grey levels: face crops closer than this are one picture
	DefaultMinFacePixels = 64   // narrowest face box whose pose and eyes are read
)

// Config tunes Measure and Judge; the zero value is the default.
type Config struct {
	TurnYaw, NeutralYaw, Blink, SamePerson, ReplayDiff, MinFacePixels float64
	// Passive runs the passive-liveness model on every frame measured
	// (Frame.Passive, and its mean in Verdict.Passive). Off by default: its
	// score decides nothing (it does not tell prints and screens from
	// faces, docs/measurements.md), so a frame is not put through one
	// more biometric model for it unless an operator asks.
	Passive bool
}

// WithDefaults returns c with each unset (zero or negative) field at its
// default.
func (c Config) WithDefaults() Config {
	set := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	set(&c.TurnYaw, DefaultTurnYaw)
	set(&c.NeutralYaw, DefaultNeutralYaw)
	set(&c.Blink, DefaultBlink)
	set(&c.SamePerson, DefaultSamePerson)
	set(&c.ReplayDiff, DefaultReplayDiff)
	set(&c.MinFacePixels, DefaultMinFacePixels)
	return c
}

// Engine is what Measure needs of the face engine (*face.Engine).
type Engine interface {
	Detect(img image.Image) ([]face.Face, error)
	Landmarks(img image.Image, f face.Face) ([68]face.Point, error)
	Embed(img image.Image, f face.Face) ([]float32, error)
	EmbedLandmarks(img image.Image, lm [68]face.Point) ([]float32, error)
	HeadPose(img image.Image, f face.Face) (face.HeadPose, error)
	Eyes(img image.Image, lm [68]face.Point) (face.Eyes, error)
	Passive(img image.Image, f face.Face) (float64, error)
}
