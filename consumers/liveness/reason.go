package liveness

import (
	"slices"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/capture"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/imagegate"
)

// Reason codes of the liveness check besides those of Measure and Judge
// (challenge.Reason…): a frame that cannot be used. They are the document
// check's.
const (
	ReasonCaptureTampered = capture.ReasonCaptureTampered
	ReasonNotAnImage      = imagegate.ReasonNotAnImage
	ReasonImageTooLarge   = imagegate.ReasonImageTooLarge
	ReasonImageCorrupt    = imagegate.ReasonImageCorrupt
)

// resubmitReasons are the reasons new frames can fix without suspicion:
// among them a start or a step the person did not show (a turn too small,
// eyes not closed long enough), which a retake lets them do again — the
// attempts are bounded by the policy. Everything else — steps in the wrong
// order, a replay, another person, tampering — fails the check.
// A light that did not follow the sequence is among them: a retake is a
// new attempt with a new sequence, and a recording cannot know that one
// either.
var resubmitReasons = []string{challenge.ReasonInsufficientFrames, challenge.ReasonNoFaceSelfie, challenge.ReasonLowQuality,
	challenge.ReasonStartMissing, challenge.ReasonStepMissing, challenge.ReasonLightMismatch,
	ReasonNotAnImage, ReasonImageTooLarge, ReasonImageCorrupt}

// reviewReasons send the check to review unless another reason fails it
// or asks for new frames: the person declined the light challenge, so
// the check could not do all it was asked to, and a person judges.
var reviewReasons = []string{challenge.ReasonLightDeclined}

// Outcome maps reason codes to the check's outcome: none → passed; any
// reason neither new frames can fix nor for review → failed; else any new
// frames can fix → resubmit (the retake comes first); else review.
func Outcome(reasons []string) idv.Outcome {
	var rest []string
	review := false
	for _, r := range reasons {
		if slices.Contains(reviewReasons, r) {
			review = true
			continue
		}
		rest = append(rest, r)
	}
	if out := idv.OutcomeOf(rest, resubmitReasons); out != idv.OutcomePassed || !review {
		return out
	}
	return idv.OutcomeReview
}
