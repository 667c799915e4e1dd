package idv

import (
	"crypto/rand"
	"fmt"
	"math/big"

	"github.com/idv-oss/idv/schemas"
)

// The liveness challenge a session draws: what the person must do, chosen
// at random by the server so a recording cannot know it in advance.

// NewChallenge draws a challenge with crypto/rand: a turn to the left or the
// right, and a blink, in either order.
func NewChallenge() (schemas.Challenge, error) {
	pick := func(n int64) (int64, error) {
		v, err := rand.Int(rand.Reader, big.NewInt(n))
		if err != nil {
			return 0, fmt.Errorf("challenge: draw: %w", err)
		}
		return v.Int64(), nil
	}
	turn, err := pick(2)
	if err != nil {
		return schemas.Challenge{}, err
	}
	order, err := pick(2)
	if err != nil {
		return schemas.Challenge{}, err
	}
	steps := []string{[]string{schemas.StepTurnLeft, schemas.StepTurnRight}[turn], schemas.StepBlink}
	if order == 1 {
		steps[0], steps[1] = steps[1], steps[0]
	}
	return schemas.Challenge{Steps: steps}, nil
}
