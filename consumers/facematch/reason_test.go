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
		if got := Outcome(c.reasons); got != c.want {
			t.Errorf("Outcome(%q) = %s, want %s", c.reasons, got, c.want)
		}
	}
}

func TestReasonCodesSortedUniqueNeverNil(t *testing.T) {
	var s reasonSet
	if got := s.codes(); got == nil || len(got) != 0 {
		t.Fatalf("codes() = %#v, want []", got)
	}
	s.add(ReasonNoFaceSelfie)
	s.add(ReasonLowQuality)
	s.add(ReasonNoFaceSelfie)
	got := s.codes()
	if len(got) != 2 || got[0] != ReasonLowQuality || got[1] != ReasonNoFaceSelfie {
		t.Fatalf("codes() = %q", got)
	}
}
