package schemas

import "time"

// CheckResult is one check's result as IDV shows it to the tenant: in
// GET /v1/sessions/{id} and in the offboarding archive. It holds codes,
// figures and model hashes, never personal data.
type CheckResult struct {
	Check     string   `json:"check"`
	Outcome   string   `json:"outcome"`
	Reasons   []string `json:"reasons"`
	Score     *float64 `json:"score"`
	Threshold *float64 `json:"threshold"`
	// Engine names the code that produced the result and its version.
	Engine string `json:"engine"`
	// Models maps each model the check used to the hash of its weights.
	Models map[string]string `json:"models"`
	// Advisory holds signals recorded but not decided on; never null.
	Advisory    map[string]float64 `json:"advisory"`
	CompletedAt time.Time          `json:"completed_at"`
}
