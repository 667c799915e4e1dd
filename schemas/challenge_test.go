package schemas

import (
	"strings"
	"testing"
)

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
