package liveness

import (
	"testing"

	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/schemas"
)

func TestLivenessOutcome(t *testing.T) {
	for _, tc := range []struct {
		reasons []string
		want    string
	}{
		{nil, schemas.OutcomePassed},
		{[]string{challenge.ReasonNoFaceSelfie, challenge.ReasonLowQuality, challenge.ReasonInsufficientFrames}, schemas.OutcomeResubmit},
		{[]string{challenge.ReasonStepMissing}, schemas.OutcomeResubmit},
		{[]string{challenge.ReasonStartMissing, challenge.ReasonStepMissing}, schemas.OutcomeResubmit},
		{[]string{challenge.ReasonStepMissing, challenge.ReasonReplayedFrames}, schemas.OutcomeFailed},
		{[]string{challenge.ReasonLowQuality, challenge.ReasonWrongOrder}, schemas.OutcomeFailed},
		{[]string{challenge.ReasonReplayedFrames}, schemas.OutcomeFailed},
		{[]string{ReasonCaptureTampered}, schemas.OutcomeFailed},
		{[]string{"a_reason_from_the_future"}, schemas.OutcomeFailed},
		{[]string{challenge.ReasonLightMismatch}, schemas.OutcomeResubmit},
		{[]string{challenge.ReasonChallengeTiming}, schemas.OutcomeFailed},
		{[]string{challenge.ReasonLightDeclined}, schemas.OutcomeReview},
		{[]string{challenge.ReasonLightDeclined, challenge.ReasonStepMissing}, schemas.OutcomeResubmit},
		{[]string{challenge.ReasonLightDeclined, challenge.ReasonReplayedFrames}, schemas.OutcomeFailed},
		{[]string{challenge.ReasonLightDeclined, challenge.ReasonChallengeTiming}, schemas.OutcomeFailed},
	} {
		if got := Outcome(tc.reasons); string(got) != tc.want {
			t.Errorf("Outcome(%v) = %s, want %s", tc.reasons, got, tc.want)
		}
	}
}
