package idv_test

import (
	"slices"
	"testing"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

func TestNewChallengeDrawsEveryChallenge(t *testing.T) {
	seen := map[string]int{}
	for range 400 {
		c, err := idv.NewChallenge()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("drawn challenge %v: %v", c, err)
		}
		if len(c.Steps) != 2 || !slices.Contains(c.Steps, schemas.StepBlink) {
			t.Fatalf("challenge %v: want a turn and a blink", c)
		}
		seen[c.String()]++
	}
	// Four challenges, each drawn with p = 1/4: missing one in 400 draws
	// has probability below 1e-49.
	for _, want := range []string{"turn_left then blink", "blink then turn_left", "turn_right then blink", "blink then turn_right"} {
		if seen[want] == 0 {
			t.Errorf("challenge %q never drawn in 400: %v", want, seen)
		}
	}
}
