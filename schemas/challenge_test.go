package schemas

import (
	"strings"
	"testing"
)

func TestNewChallengeDrawsEveryChallenge(t *testing.T) {
	seen := map[string]int{}
	for range 400 {
		c, err := NewChallenge()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("drawn challenge %v: %v", c, err)
		}
		if len(c.Steps) != 2 || !c.contains(StepBlink) {
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

func (c Challenge) contains(step string) bool {
	for _, s := range c.Steps {
		if s == step {
			return true
		}
	}
	return false
}

func TestChallengeValidate(t *testing.T) {
	for _, tc := range []struct {
		steps []string
		err   string
	}{
		{[]string{StepTurnLeft, StepBlink}, ""},
		{[]string{StepBlink}, ""},
		{nil, "without steps"},
		{[]string{"nod"}, `unknown challenge step "nod"`},
		{[]string{StepBlink, StepBlink}, "named twice"},
	} {
		err := Challenge{Steps: tc.steps}.Validate()
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Validate(%v) = %v, want %q", tc.steps, err, tc.err)
		}
	}
}

func TestValidateSelfieFrames(t *testing.T) {
	for _, tc := range []struct {
		frames int
		checks []string
		ok     bool
	}{
		{1, []string{CheckDocument, CheckFace}, true},
		{0, []string{CheckDocument}, false},
		{21, []string{CheckDocument}, false},
		{2, []string{CheckLiveness}, false},
		{MinChallengeFrames, []string{CheckDocument, CheckLiveness}, true},
		{MaxSelfieFrames, []string{CheckLiveness}, true},
	} {
		if err := ValidateSelfieFrames(tc.frames, tc.checks); (err == nil) != tc.ok {
			t.Errorf("ValidateSelfieFrames(%d, %v) = %v, want ok %v", tc.frames, tc.checks, err, tc.ok)
		}
	}
}
