package doccheck

import (
	"slices"
	"testing"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/capture"
	"github.com/idv-oss/idv/document/chip"
	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/document/quality"
	"github.com/idv-oss/idv/imagegate"
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
		{[]string{imagegate.ReasonNotAnImage}, schemas.OutcomeResubmit},
		{[]string{imagegate.ReasonImageTooLarge}, schemas.OutcomeResubmit},
		{[]string{imagegate.ReasonImageCorrupt, imagegate.ReasonNotAnImage}, schemas.OutcomeResubmit},
		{[]string{capture.ReasonCaptureTampered}, schemas.OutcomeFailed},
		{[]string{imagegate.ReasonImageCorrupt, capture.ReasonCaptureTampered}, schemas.OutcomeFailed},
		{[]string{string(mrz.ReasonFormat)}, schemas.OutcomeFailed},
		{[]string{string(mrz.ReasonCheckDigit)}, schemas.OutcomeFailed},
		{[]string{string(mrz.ReasonState)}, schemas.OutcomeFailed},
		{[]string{string(mrz.ReasonDate)}, schemas.OutcomeFailed},
		{[]string{string(mrz.ReasonExpired)}, schemas.OutcomeFailed},
		{[]string{string(mrz.ReasonSpecimen)}, schemas.OutcomeFailed},
		{[]string{string(mrz.ReasonBirthInFuture)}, schemas.OutcomeFailed},
		{[]string{string(mrz.ReasonExpiryBeforeBirth)}, schemas.OutcomeFailed},
		{[]string{imagegate.ReasonNotAnImage, string(mrz.ReasonExpired)}, schemas.OutcomeFailed},
		{[]string{"something_new"}, schemas.OutcomeFailed},
		{[]string{string(chip.ReasonHashMismatch)}, schemas.OutcomeFailed},
		{[]string{string(chip.ReasonUntrustedCSCA)}, schemas.OutcomeFailed},
		{[]string{string(chip.ReasonPortraitUnsupported)}, schemas.OutcomeReview},
		{[]string{string(chip.ReasonPortraitUnsupported), imagegate.ReasonNotAnImage}, schemas.OutcomeReview},
		{[]string{string(chip.ReasonPortraitUnsupported), string(chip.ReasonDG1MRZMismatch)}, schemas.OutcomeFailed},
		{[]string{quality.ReasonBlurry, quality.ReasonGlare, quality.ReasonLowResolution, quality.ReasonNotInFrame, quality.ReasonGreyscaleCopy}, schemas.OutcomeResubmit},
		{[]string{ocrb.ReasonUnreadable}, schemas.OutcomeResubmit},
		{[]string{ocrb.ReasonSuspect}, schemas.OutcomeReview},
		{[]string{ocrb.ReasonSuspect, quality.ReasonBlurry}, schemas.OutcomeReview},
		{[]string{ocrb.ReasonSuspect, ocrb.ReasonMismatch}, schemas.OutcomeFailed},
		{[]string{ocrb.ReasonMismatch}, schemas.OutcomeFailed},
		{[]string{ocrb.ReasonSuspect, string(mrz.ReasonExpired)}, schemas.OutcomeFailed},
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
	s.Add(imagegate.ReasonNotAnImage)
	s.Add(mrzCodes([]mrz.Reason{mrz.ReasonSpecimen, mrz.ReasonExpired})...)
	s.Add(imagegate.ReasonNotAnImage)
	s.Add(capture.ReasonCaptureTampered)
	want := []string{capture.ReasonCaptureTampered, string(mrz.ReasonExpired), imagegate.ReasonNotAnImage, string(mrz.ReasonSpecimen)}
	if got := s.Codes(); !slices.Equal(got, want) {
		t.Fatalf("codes %q, want %q", got, want)
	}
}
