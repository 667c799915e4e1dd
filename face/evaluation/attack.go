package evaluation

import (
	"math/rand/v2"

	"github.com/idv-oss/idv/face/synth"
)

// AttackType is one kind of presentation attack in the liveness scorecard
// (in ISO/IEC 30107-3's words, an attack type or PAI species; the scorecard
// borrows the vocabulary and claims no conformance).
type AttackType struct {
	Kind string // as in case.json
	What string // how the generated cases are made
	// Unmeasured says why the type has no cases yet; "" when it has.
	Unmeasured string
}

// KindBonaFide is the kind of the generated bona fide cases.
const KindBonaFide = "bona_fide"

// Attacks is the scorecard's catalogue, in the order it prints. Cases of
// kinds not listed (an operator's own) print after it.
var Attacks = []AttackType{
	{Kind: "printed_photo", What: "a halftone print of the photo held still before the camera: fresh sensor noise per frame, no steps"},
	{Kind: "photo_on_screen", What: "the photo on a screen (moiré) held still before the camera, no steps"},
	{Kind: "still_frames", What: "one photo sent as every frame, byte for byte"},
	{Kind: "photo_animation", What: "the photo animated by warping to perform the drawn challenge, rendered as the thresholds were chosen (synth.Tuning)"},
	{Kind: "session_replay", What: "the frames of a recorded genuine session of the person for the same challenge (another attempt), replayed; timing is not checked"},
	{Kind: "session_replay_other_challenge", What: "the frames of a recorded genuine session made for the next of the four challenges, replayed"},
	{Kind: "frames_from_other_session", What: "frame 0 of this session, the step frames from another person's session for the same challenge"},
	{Kind: "wrong_light", What: "a genuine session lit by another light sequence than the drawn one (one colour differs at least), at the drawn one's times"},
	{Kind: "light_session_replay", What: "the selfie and light frames of a recorded genuine light session, with their timing, presented to a session that drew its own sequence"},
	{Kind: "light_no_reflection", What: "a genuine session's frames at the drawn sequence's times with no light on the face (a video or animation that does not answer the screen)"},
}

// bonaFideSeed seeds the bona fide set's draws: fixed, so the scorecard
// is the same on every run.
const bonaFideSeed = 30107

// Ranges the bona fide renderings are drawn from, uniformly and
// independently per sequence. They were set before measuring, wider than
// and around synth.Tuning (35° turn, eyes shut, σ 3, exposure as taken,
// JPEG 92), which the thresholds were chosen on.
var (
	BonaFideTurn    = [2]float64{20, 50}   // degrees of warp (the pose model reads less)
	BonaFideBlink   = [2]float64{0.6, 1}   // how far the lids close
	BonaFideNoise   = [2]float64{1, 6}     // σ, grey levels
	BonaFideGain    = [2]float64{0.5, 1.3} // exposure gain
	BonaFideOffset  = [2]float64{-10, 10}  // exposure offset, grey levels
	BonaFideQuality = [2]int{50, 95}       // JPEG quality
)

// drawBonaFide draws one rendering and JPEG quality from the ranges.
func drawBonaFide(rng *rand.Rand) (synth.Render, int) {
	in := func(r [2]float64) float64 { return r[0] + rng.Float64()*(r[1]-r[0]) }
	r := synth.Render{TurnDegrees: in(BonaFideTurn), BlinkDepth: in(BonaFideBlink), Noise: in(BonaFideNoise),
		Gain: in(BonaFideGain), Offset: in(BonaFideOffset)}
	return r, BonaFideQuality[0] + rng.IntN(BonaFideQuality[1]-BonaFideQuality[0]+1)
}
