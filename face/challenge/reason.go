package challenge

// Reason codes of Measure and Judge: stable, machine-readable and free of
// anything personal, because they travel in events and webhooks.
const (
	// ReasonInsufficientFrames: fewer selfie frames than the challenge
	// needs (schemas.MinChallengeFrames).
	ReasonInsufficientFrames = "insufficient_frames"
	// ReasonStartMissing: the first frame does not show the person
	// looking straight at the camera with open eyes.
	ReasonStartMissing = "challenge_start_missing"
	// ReasonStepMissing: a step of the challenge shows in no frame.
	ReasonStepMissing = "challenge_step_missing"
	// ReasonWrongOrder: every step shows, but not in the order the
	// challenge asked for.
	ReasonWrongOrder = "challenge_wrong_order"
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
)

// Reason codes of the challenge's timing and light (issue 22; timing.go,
// light.go).
const (
	// ReasonChallengeTiming: the frames' capture times are missing, out
	// of their bounds, or do not fit the server's clock (when the
	// challenge was handed out, the captures declared, the attempt
	// submitted); or a session with the light challenge never fetched
	// its challenge.
	ReasonChallengeTiming = "challenge_timing"
	// ReasonLightMismatch: the colour the light frames reflect on the
	// face does not follow the attempt's drawn light sequence. A retake
	// is a new attempt with a new sequence.
	ReasonLightMismatch = "challenge_light_mismatch"
	// ReasonLightDeclined: the session takes the light challenge and
	// the person declined it: to review, never approved without it.
	ReasonLightDeclined = "challenge_light_declined"
)
