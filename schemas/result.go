package schemas

import (
	"encoding/json"
	"fmt"
	"time"
)

// CheckResult is one check's result as IDV shows it to the tenant: in
// GET /v1/sessions/{id} and in the offboarding archive. It holds codes,
// figures and model hashes, never personal data.
type CheckResult struct {
	Check   string   `json:"check"`
	Outcome string   `json:"outcome"`
	Reasons []string `json:"reasons"`
	// Score is the figure the check compared with Threshold; ScoreName says
	// which figure it is. Null when the check has none, or did not get as
	// far as computing it.
	Score *float64 `json:"score"`
	// ScoreName names Score (a Score… constant); null exactly when Score
	// is. Marshalling fills it from Check (ScoreName), as each check has
	// one score.
	ScoreName *string  `json:"score_name"`
	Threshold *float64 `json:"threshold"`
	// Engine names the code that produced the result and its version.
	Engine string `json:"engine"`
	// Models maps each model the check used to the hash of its weights.
	Models map[string]string `json:"models"`
	// Advisory holds signals recorded but not decided on; never null.
	Advisory    map[string]float64 `json:"advisory"`
	CompletedAt time.Time          `json:"completed_at"`
}

// Names of the checks' scores (CheckResult.ScoreName). Each says what the
// figure is, because neither is a probability: both are the lowest cosine
// similarity of two faces' embeddings over the selfie frames.
const (
	// ScoreFaceMinCosine is the face match's score: the lowest cosine
	// similarity between the reference face (the document photo's, or the
	// chip's portrait when advisory reference_chip_portrait is 1) and a
	// selfie frame's face.
	ScoreFaceMinCosine = "min_cosine_reference_to_selfie"
	// ScoreLivenessSamePerson is the liveness check's score: the lowest
	// cosine similarity between the first selfie frame's face and a later
	// frame's. It says the frames show one person, not that the person is
	// live; the liveness outcome rests on the challenge's steps as well.
	ScoreLivenessSamePerson = "min_cosine_to_first_frame"
)

// ScoreNames are the score names a result can carry, by check.
var ScoreNames = map[string]string{CheckFace: ScoreFaceMinCosine, CheckLiveness: ScoreLivenessSamePerson}

// ScoreName returns the name of check's score; "" for a check without one
// (the document check).
func ScoreName(check string) string { return ScoreNames[check] }

// MarshalJSON writes r with score_name filled from its check whenever it
// has a score, so no result leaves unnamed however it was built.
func (r CheckResult) MarshalJSON() ([]byte, error) {
	type plain CheckResult
	r.ScoreName = nil
	if name := ScoreName(r.Check); r.Score != nil && name != "" {
		r.ScoreName = &name
	}
	b, err := json.Marshal(plain(r))
	if err != nil {
		return nil, fmt.Errorf("schemas: check result: %w", err)
	}
	return b, nil
}
