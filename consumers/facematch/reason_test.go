package facematch

import (
	"testing"

	"github.com/idv-oss/idv/schemas"
)

func TestOutcome(t *testing.T) {
	for _, c := range []struct {
		reasons []string
		want    string
	}{
		{nil, schemas.OutcomePassed},
		{[]string{ReasonNoFaceDocument}, schemas.OutcomeResubmit},
		{[]string{ReasonNoFaceSelfie, ReasonLowQuality, ReasonImageCorrupt}, schemas.OutcomeResubmit},
		{[]string{ReasonNotAnImage, ReasonImageTooLarge}, schemas.OutcomeResubmit},
		{[]string{ReasonLowSimilarity}, schemas.OutcomeFailed},
		{[]string{ReasonMultipleFaces, ReasonNoFaceSelfie}, schemas.OutcomeFailed},
		{[]string{ReasonCaptureTampered}, schemas.OutcomeFailed},
		{[]string{"something_new"}, schemas.OutcomeFailed},
	} {
		if got := Outcome(c.reasons); string(got) != c.want {
			t.Errorf("Outcome(%q) = %s, want %s", c.reasons, got, c.want)
		}
	}
}
