package doccheck

import (
	"slices"
	"testing"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/document/chip"
	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/schemas"
)

func TestOutcome(t *testing.T) {
	t.Parallel()
	cases := []struct {
		reasons []string
		want    string
	}{
		{nil, schemas.OutcomePassed},
		{[]string{}, schemas.OutcomePassed},
		{[]string{ReasonNotAnImage}, schemas.OutcomeResubmit},
		{[]string{ReasonImageTooLarge}, schemas.OutcomeResubmit},
		{[]string{ReasonImageCorrupt, ReasonNotAnImage}, schemas.OutcomeResubmit},
		{[]string{ReasonCaptureTampered}, schemas.OutcomeFailed},
		{[]string{ReasonImageCorrupt, ReasonCaptureTampered}, schemas.OutcomeFailed},
		{[]string{string(mrz.ReasonFormat)}, schemas.OutcomeFailed},
		{[]string{string(mrz.ReasonCheckDigit)}, schemas.OutcomeFailed},
		{[]string{string(mrz.ReasonState)}, schemas.OutcomeFailed},
		{[]string{string(mrz.ReasonDate)}, schemas.OutcomeFailed},
		{[]string{string(mrz.ReasonExpired)}, schemas.OutcomeFailed},
		{[]string{string(mrz.ReasonSpecimen)}, schemas.OutcomeFailed},
		{[]string{string(mrz.ReasonBirthInFuture)}, schemas.OutcomeFailed},
		{[]string{string(mrz.ReasonExpiryBeforeBirth)}, schemas.OutcomeFailed},
		{[]string{ReasonNotAnImage, string(mrz.ReasonExpired)}, schemas.OutcomeFailed},
		{[]string{"something_new"}, schemas.OutcomeFailed},
		{[]string{string(chip.ReasonHashMismatch)}, schemas.OutcomeFailed},
		{[]string{string(chip.ReasonUntrustedCSCA)}, schemas.OutcomeFailed},
		{[]string{string(chip.ReasonPortraitUnsupported)}, schemas.OutcomeReview},
		{[]string{string(chip.ReasonPortraitUnsupported), ReasonNotAnImage}, schemas.OutcomeReview},
		{[]string{string(chip.ReasonPortraitUnsupported), string(chip.ReasonDG1MRZMismatch)}, schemas.OutcomeFailed},
		{[]string{ReasonBlurry, ReasonGlare, ReasonLowResolution, ReasonNotInFrame, ReasonGreyscaleCopy}, schemas.OutcomeResubmit},
		{[]string{ReasonMRZImageUnreadable}, schemas.OutcomeResubmit},
		{[]string{ReasonMRZSuspect}, schemas.OutcomeReview},
		{[]string{ReasonMRZSuspect, ReasonBlurry}, schemas.OutcomeReview},
		{[]string{ReasonMRZSuspect, ReasonMRZImageMismatch}, schemas.OutcomeFailed},
		{[]string{ReasonMRZImageMismatch}, schemas.OutcomeFailed},
		{[]string{ReasonMRZSuspect, string(mrz.ReasonExpired)}, schemas.OutcomeFailed},
	}
	for _, c := range cases {
		if got := Outcome(c.reasons); string(got) != c.want {
			t.Errorf("Outcome(%q) = %q, want %q", c.reasons, got, c.want)
		}
	}
}

func TestReasonCodesAreSortedAndUnique(t *testing.T) {
	t.Parallel()
	var s idv.Reasons
	if got := s.Codes(); got == nil || len(got) != 0 {
		t.Fatalf("no reasons: %#v, want an empty, non-nil list", got)
	}
	s.Add(ReasonNotAnImage)
	s.Add(mrzCodes([]mrz.Reason{mrz.ReasonSpecimen, mrz.ReasonExpired})...)
	s.Add(ReasonNotAnImage)
	s.Add(ReasonCaptureTampered)
	want := []string{ReasonCaptureTampered, string(mrz.ReasonExpired), ReasonNotAnImage, string(mrz.ReasonSpecimen)}
	if got := s.Codes(); !slices.Equal(got, want) {
		t.Fatalf("codes %q, want %q", got, want)
	}
}
