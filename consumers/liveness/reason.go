package liveness

import (
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
var resubmitReasons = []string{challenge.ReasonInsufficientFrames, challenge.ReasonNoFaceSelfie, challenge.ReasonLowQuality,
	challenge.ReasonStartMissing, challenge.ReasonStepMissing,
	ReasonNotAnImage, ReasonImageTooLarge, ReasonImageCorrupt}

// Outcome maps reason codes to the check's outcome: none → passed; only
// reasons new frames can fix → resubmit; any other → failed.
func Outcome(reasons []string) idv.Outcome { return idv.OutcomeOf(reasons, resubmitReasons) }
