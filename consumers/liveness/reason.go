package liveness

import (
	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/capture"
	"github.com/idv-oss/idv/imagegate"
)

// Reason codes of the liveness check: stable, machine-readable and free of
// anything personal, because they travel in events and webhooks.
const (
	// ReasonInsufficientFrames: fewer selfie frames than the challenge
	// needs (schemas.MinChallengeFrames).
	ReasonInsufficientFrames = "insufficient_frames"
	// ReasonChallengeStartMissing: the first frame does not show the person
	// looking straight at the camera with open eyes.
	ReasonChallengeStartMissing = "challenge_start_missing"
	// ReasonChallengeStepMissing: a step of the challenge shows in no frame.
	ReasonChallengeStepMissing = "challenge_step_missing"
	// ReasonChallengeWrongOrder: every step shows, but not in the order the
	// challenge asked for.
	ReasonChallengeWrongOrder = "challenge_wrong_order"
	// ReasonReplayedFrames: two frames are the same picture (their face
	// crops differ by less than Config.ReplayDiff grey levels on average),
	// which no live camera delivers: a still sent as a sequence.
	ReasonReplayedFrames = "replayed_frames"
	// ReasonDifferentPerson: a frame's face is not the first frame's person
	// (cosine similarity below Config.SamePerson).
	ReasonDifferentPerson = "different_person"

	// The face reasons are spelled as the face match spells them.

	// ReasonNoFaceSelfie: the detector found no face in a frame.
	ReasonNoFaceSelfie = "no_face_selfie"
	// ReasonMultipleFaces: a frame holds more than one face.
	ReasonMultipleFaces = "multiple_faces"
	// ReasonLowQuality: a face is too small (narrower than
	// Config.MinFacePixels) to read its pose and eyes.
	ReasonLowQuality = "low_quality"

	// The image reasons are the document check's.

	ReasonCaptureTampered = capture.ReasonCaptureTampered
	ReasonNotAnImage      = imagegate.ReasonNotAnImage
	ReasonImageTooLarge   = imagegate.ReasonImageTooLarge
	ReasonImageCorrupt    = imagegate.ReasonImageCorrupt
)

// resubmitReasons are the reasons new frames can fix without suspicion.
// Everything else — a challenge not performed, a replay, another person,
// tampering — fails the check.
var resubmitReasons = []string{ReasonInsufficientFrames, ReasonNoFaceSelfie, ReasonLowQuality,
	ReasonNotAnImage, ReasonImageTooLarge, ReasonImageCorrupt}

// Outcome maps reason codes to the check's outcome: none → passed; only
// reasons new frames can fix → resubmit; any other → failed.
func Outcome(reasons []string) string { return idv.OutcomeOf(reasons, resubmitReasons) }
