package doccheck

import (
	"slices"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/capture"

	"github.com/idv-oss/idv/document/chip"
	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/document/quality"
	"github.com/idv-oss/idv/imagegate"
)

// Reason codes of the document check besides the MRZ's own (mrz.Reason):
// stable, machine-readable, and free of document contents, because they
// travel in events and webhooks.
const (
	// ReasonCaptureTampered: a stored capture is not what the app declared
	// (size or SHA-256 differ, or it is missing), or it does not open under
	// the session key with its slot's HPKE info.
	ReasonCaptureTampered = capture.ReasonCaptureTampered
	// ReasonNotAnImage: a document image is neither JPEG nor PNG.
	ReasonNotAnImage = imagegate.ReasonNotAnImage
	// ReasonImageTooLarge: a document image has more pixels than the stage
	// decodes (Config.MaxPixels), or more bytes than it reads
	// (Config.MaxImageBytes).
	ReasonImageTooLarge = imagegate.ReasonImageTooLarge
	// ReasonImageCorrupt: a document image's header is readable but the
	// image is truncated or corrupt.
	ReasonImageCorrupt = imagegate.ReasonImageCorrupt

	// The image quality gates' reasons (Config.QualityGates): see package
	// quality.
	ReasonLowResolution = quality.ReasonLowResolution
	ReasonBlurry        = quality.ReasonBlurry
	ReasonGlare         = quality.ReasonGlare
	ReasonGreyscaleCopy = quality.ReasonGreyscaleCopy
	ReasonNotInFrame    = quality.ReasonNotInFrame

	// The comparison of the MRZ printed on the document with the app's
	// (Deps.Reader): see package ocrb.
	ReasonMRZImageMismatch   = ocrb.ReasonMismatch
	ReasonMRZSuspect         = ocrb.ReasonSuspect
	ReasonMRZImageUnreadable = ocrb.ReasonUnreadable
)

// resubmitReasons are the reasons a new photo can fix: the document itself
// is not in doubt, only the picture of it. A greyscale copy is among them:
// the person is asked to photograph the document itself.
var resubmitReasons = []string{ReasonNotAnImage, ReasonImageTooLarge, ReasonImageCorrupt,
	ReasonLowResolution, ReasonBlurry, ReasonGlare, ReasonGreyscaleCopy, ReasonNotInFrame,
	ReasonMRZImageUnreadable}

// reviewReasons are the reasons a person should judge: nothing speaks
// against the document, but the stage could not judge all of it — the
// printed MRZ and the app's differ only where OCR is known to confuse
// characters the check digits cannot tell apart, or the chip portrait is
// JPEG 2000 — or a person must: a minor's parental consent.
var reviewReasons = []string{ReasonMRZSuspect, string(chip.ReasonPortraitUnsupported), ReasonMinorConsent}

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
