package idv

import (
	"slices"
	"testing"

	"github.com/idv-oss/idv/schemas"
)

func TestReasonCodesSortedUniqueNeverNil(t *testing.T) {
	var s Reasons
	if got := s.Codes(); got == nil || len(got) != 0 {
		t.Fatalf("Codes() = %#v, want []", got)
	}
	s.Add("no_face_selfie", "low_quality")
	s.Add("no_face_selfie")
	if got := s.Codes(); !slices.Equal(got, []string{"low_quality", "no_face_selfie"}) {
		t.Fatalf("Codes() = %q", got)
	}
}

func TestOutcome(t *testing.T) {
	resubmit := []string{"not_an_image", "image_corrupt"}
	for _, c := range []struct {
		reasons []string
		want    Outcome
	}{
		{nil, schemas.OutcomePassed},
		{[]string{"not_an_image"}, schemas.OutcomeResubmit},
		{[]string{"not_an_image", "image_corrupt"}, schemas.OutcomeResubmit},
		{[]string{"not_an_image", "capture_tampered"}, schemas.OutcomeFailed},
		{[]string{"unknown_to_this_stage"}, schemas.OutcomeFailed},
	} {
		if got := OutcomeOf(c.reasons, resubmit); got != c.want {
			t.Errorf("OutcomeOf(%q) = %s, want %s", c.reasons, got, c.want)
		}
	}
}
