package idv

import (
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/schemas"
)

// Result is one check's result: outcome, reason codes, score, threshold,
// engine and model hashes. It never holds personal data (docs/design.md
// invariant 1); the fields the tenant's policy allows travel sealed.
type Result struct {
	SessionID uuid.UUID
	TenantID  uuid.UUID
	// Attempt is the attempt whose captures the check judged.
	Attempt   int
	Check     string // schemas.CheckDocument, …
	Outcome   Outcome
	Reasons   []string
	Score     *float64 // nil when the check has no score
	Threshold *float64
	// Engine names the code that produced the result and its version, e.g.
	// "idv-doccheck/1 mrz-icao9303".
	Engine string
	// Models maps each model the check used to the hash of its weights;
	// empty for checks without models.
	Models map[string]string
	// CompletedAt is when the check finished; the database's clock when zero.
	CompletedAt time.Time
	// Advisory holds signals recorded but not decided on (the passive
	// liveness score), by name; nil when none.
	Advisory map[string]float64
	// FieldsSealed holds the fields the tenant's policy allows, as JSON
	// sealed to the session key; nil when none.
	FieldsSealed []byte
	// Stored are the captures the check made and stored itself (the
	// document check's redacted copy), recorded among the session's
	// captures in the result's transaction; nil when none.
	Stored []Capture
}

// CompletedEvent is the idv.check.completed event announcing r: ids, the
// attempt, the check, its outcome and reasons only. One per session,
// check and attempt.
func (r Result) CompletedEvent() Event {
	session := r.SessionID.String()
	return NewEvent(schemas.TypeCheckCompleted, r.TenantID, session,
		schemas.CheckCompleted{SessionID: session, TenantID: r.TenantID.String(), Attempt: r.Attempt,
			Check: r.Check, Outcome: string(r.Outcome), Reasons: r.Reasons},
		session, r.Check, strconv.Itoa(r.Attempt))
}

// View is the result as the tenant sees it (schemas.CheckResult): the
// completion time in UTC, and no advisory signals as an empty object.
func (r Result) View() schemas.CheckResult {
	advisory := r.Advisory
	if advisory == nil {
		advisory = map[string]float64{}
	}
	return schemas.CheckResult{Check: r.Check, Outcome: string(r.Outcome), Reasons: r.Reasons, Score: r.Score,
		Threshold: r.Threshold, Engine: r.Engine, Models: r.Models, Advisory: advisory, CompletedAt: r.CompletedAt.UTC()}
}

// Reasons collects a check's reason codes.
type Reasons []string

// Add appends reason codes.
func (s *Reasons) Add(codes ...string) { *s = append(*s, codes...) }

// Codes returns the reasons sorted, each once, and never nil: an event's
// reasons are an array, not null.
func (s Reasons) Codes() []string {
	out := slices.Clone([]string(s))
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// OutcomeOf maps a check's reason codes to its outcome: none → passed; only
// reasons in resubmit (those a new capture can fix) → resubmit; any other,
// including a reason the caller does not know → failed.
func OutcomeOf(reasons, resubmit []string) Outcome {
	if len(reasons) == 0 {
		return OutcomePassed
	}
	for _, r := range reasons {
		if !slices.Contains(resubmit, r) {
			return OutcomeFailed
		}
	}
	return OutcomeResubmit
}
