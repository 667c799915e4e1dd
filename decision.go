package idv

import (
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/schemas"
)

// DecisionOf is the decision over the outcomes of every requested check: any
// failed → declined; else any resubmit → resubmission_requested; else any
// review → review; else approved. No outcomes at all, or one it does not
// know, goes to review: a person looks rather than IDV approving blind.
func DecisionOf(outcomes []Outcome) Decision {
	var failed, resubmit, review bool
	for _, o := range outcomes {
		switch o {
		case OutcomeFailed:
			failed = true
		case OutcomeResubmit:
			resubmit = true
		case OutcomePassed:
		default: // schemas.OutcomeReview, or unknown
			review = true
		}
	}
	switch {
	case failed:
		return DecisionDeclined
	case resubmit:
		return DecisionResubmissionRequested
	case review || len(outcomes) == 0:
		return DecisionReview
	default:
		return DecisionApproved
	}
}

// Decider chooses what the results of every check an attempt requested
// lead to, and returns it with the event announcing a decision. The store
// calls it inside the deciding transaction with the session's attempt and
// the attempts it allows, so it must only compute.
type Decider func(results []Result, attempt, maxAttempts int) Verdict

// Verdict is where an attempt's results lead: a decision, with its
// idv.session.decided event, or — Decision empty — a retake: the session
// goes back to the person for its next attempt, to take again what Retake
// names.
type Verdict struct {
	Decision Decision
	Event    Event
	Retake   []schemas.Retake
}

// VerdictOf judges an attempt's results: DecisionOf their outcomes, except
// that a resubmission asked for before the last attempt is a retake (the
// person can fix it now), and one asked for at the last attempt because
// the MRZ in the photo could not be read goes to review — a person reads
// it, rather than IDV deciding on a doubtful read or asking the customer
// to start over.
func VerdictOf(results []Result, attempt, maxAttempts int) (Decision, []schemas.Retake) {
	outcomes := make([]Outcome, len(results))
	for i, r := range results {
		outcomes[i] = r.Outcome
	}
	decision := DecisionOf(outcomes)
	if decision != DecisionResubmissionRequested {
		return decision, nil
	}
	retake := RetakesOf(results)
	if attempt < maxAttempts {
		return "", retake
	}
	for _, r := range results {
		if r.Outcome == OutcomeResubmit && slices.Contains(r.Reasons, schemas.ReasonMRZImageUnreadable) {
			return DecisionReview, nil
		}
	}
	return decision, nil
}

// RetakesOf groups the reasons of the results asking for a resubmission by
// what the person must take again (schemas.RetakeOf), document first.
func RetakesOf(results []Result) []schemas.Retake {
	var out []schemas.Retake
	for _, capture := range []string{schemas.RetakeDocument, schemas.RetakeSelfie} {
		var reasons Reasons
		for _, r := range results {
			if r.Outcome != OutcomeResubmit {
				continue
			}
			for _, code := range r.Reasons {
				if schemas.RetakeOf(r.Check, code) == capture {
					reasons.Add(code)
				}
			}
		}
		if len(reasons) > 0 {
			out = append(out, schemas.Retake{Capture: capture, Reasons: reasons.Codes()})
		}
	}
	return out
}

// Decided says what deciding a session found or did.
type Decided struct {
	// Decision is the session's decision, made by this call or an earlier
	// one; empty while checks are pending or the person retakes.
	Decision  Decision
	DecidedAt time.Time
	// New is set when this call made the decision or asked for the retake.
	New bool
	// Pending lists the requested checks that have no result yet.
	Pending []string
	// Retake is what the person was asked to take again, for the attempt
	// Attempt, when the session waits for a retake.
	Retake  []schemas.Retake
	Attempt int
}

// DecidedEvent is the idv.session.decided event of a session's decision
// after attempts attempts (0 when the caller does not know them).
func DecidedEvent(tenant, session uuid.UUID, decision Decision, at time.Time, attempts int) Event {
	return NewEvent(schemas.TypeSessionDecided, tenant, session.String(), schemas.SessionDecided{
		SessionID: session.String(), TenantID: tenant.String(), Decision: string(decision), DecidedAt: at,
		Attempts: attempts})
}

// DecideByOutcomes is the Decider of the pipeline: VerdictOf the results,
// a decision announced at at.
func DecideByOutcomes(tenant, session uuid.UUID, at time.Time) Decider {
	return func(results []Result, attempt, maxAttempts int) Verdict {
		decision, retake := VerdictOf(results, attempt, maxAttempts)
		if decision == "" {
			return Verdict{Retake: retake}
		}
		return Verdict{Decision: decision, Event: DecidedEvent(tenant, session, decision, at, attempt)}
	}
}
