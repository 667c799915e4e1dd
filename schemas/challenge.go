package schemas

import (
	"fmt"
	"slices"
)

// CheckLiveness is the active-liveness check: the person performs a
// challenge the server drew for the session while the selfie frames are
// taken.
const CheckLiveness = "liveness"

// The challenge steps. Directions are the person's own: "turn left" means
// the person turns their head to their left, which, in the un-mirrored
// frames a camera delivers (and the app must upload), points the face
// towards the image's right.
const (
	StepTurnLeft  = "turn_left"
	StepTurnRight = "turn_right"
	StepBlink     = "blink"
)

// ChallengeSteps are the steps a challenge is drawn from.
var ChallengeSteps = []string{StepTurnLeft, StepTurnRight, StepBlink}

// MinChallengeFrames is the fewest selfie frames a session with the
// liveness check takes: one looking straight at the camera, then at least
// one per step.
const MinChallengeFrames = 1 + challengeLen

// challengeLen is how many steps a challenge has: one head turn and a blink,
// in an order drawn at random (four challenges in all).
const challengeLen = 2

// Challenge is what the person must do, in order, while the selfie frames
// are taken: first look straight at the camera (frame 0), then each step.
// Frames are uploaded in the order they were taken (selfie/0, selfie/1, …);
// any number of frames may show a step, as long as the steps come in order.
type Challenge struct {
	Steps []string `json:"steps"`
	// Light: each attempt also takes the light challenge, whose sequence
	// POST /v1/app/session/challenge draws per attempt (light.go).
	Light bool `json:"light"`
}

// Validate refuses an empty challenge or one with unknown or repeated steps.
func (c Challenge) Validate() error {
	if len(c.Steps) == 0 {
		return fmt.Errorf("challenge without steps")
	}
	return validateNames("challenge step", c.Steps, ChallengeSteps)
}

// String is the steps joined by " then ", for messages.
func (c Challenge) String() string {
	s := ""
	for i, st := range c.Steps {
		if i > 0 {
			s += " then "
		}
		s += st
	}
	return s
}

// Equal reports whether two challenges have the same steps in the same order.
func (c Challenge) Equal(o Challenge) bool { return slices.Equal(c.Steps, o.Steps) }
