package doccheck

import (
	"slices"

	"github.com/idv-oss/idv"

	"github.com/idv-oss/idv/document/chip"
	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/document/quality"
	"github.com/idv-oss/idv/imagegate"
)

// The document check's reason codes are those of the libraries that find
// them — capture (a tampered capture), imagegate (an image the stage will
// not decode), quality (the image quality gates), ocrb (the printed MRZ
// against the app's), mrz and chip — and the stage's own below; all are
// stable, machine-readable and free of document contents, because they
// travel in events and webhooks.

// resubmitReasons are the reasons a new photo can fix: the document itself
// is not in doubt, only the picture of it. A greyscale copy is among them:
// the person is asked to photograph the document itself.
var resubmitReasons = []string{
	imagegate.ReasonNotAnImage, imagegate.ReasonImageTooLarge, imagegate.ReasonImageCorrupt,
	quality.ReasonLowResolution, quality.ReasonBlurry, quality.ReasonGlare, quality.ReasonGreyscaleCopy,
	quality.ReasonNotInFrame, ocrb.ReasonUnreadable,
}

// reviewReasons are the reasons a person should judge: nothing speaks
// against the document, but the stage could not judge all of it — the
// printed MRZ and the app's differ only where OCR is known to confuse
// characters the check digits cannot tell apart, or the chip portrait is
// JPEG 2000 — or a person must: a minor's parental consent.
var reviewReasons = []string{ocrb.ReasonSuspect, string(chip.ReasonPortraitUnsupported), ReasonMinorConsent}

// Outcome maps reason codes to the check's outcome: none → passed; any
// reason that is neither a resubmit nor a review reason (a tampered
// capture, any MRZ, validity or chip reason, a printed MRZ that contradicts
// the app's, a reason this function does not know) → failed; else any review
// reason → review; else (only reasons a new photo can fix) → resubmit.
func Outcome(reasons []string) idv.Outcome {
	if len(reasons) == 0 {
		return idv.OutcomePassed
	}
	review := false
	for _, r := range reasons {
		switch {
		case slices.Contains(reviewReasons, r):
			review = true
		case !slices.Contains(resubmitReasons, r):
			return idv.OutcomeFailed
		}
	}
	if review {
		return idv.OutcomeReview
	}
	return idv.OutcomeResubmit
}

// mrzCodes are the MRZ parser's reasons as reason codes.
func mrzCodes(rs []mrz.Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}
