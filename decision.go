package idv

import (
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

// Decider chooses a session's decision from the results of every check the
// session requested, and returns it with the event announcing it. The store
// calls it inside the deciding transaction, so it must only compute.
type Decider func(results []Result) (decision Decision, ev Event)

// Decided says what deciding a session found or did.
type Decided struct {
	// Decision is the session's decision, made by this call or an earlier
	// one; empty while checks are pending.
	Decision  Decision
	DecidedAt time.Time
	// New is set when this call made the decision.
	New bool
	// Pending lists the requested checks that have no result yet.
	Pending []string
}

// DecidedEvent is the idv.session.decided event of a session's decision.
func DecidedEvent(tenant, session uuid.UUID, decision Decision, at time.Time) Event {
	return NewEvent(schemas.TypeSessionDecided, tenant, session.String(), schemas.SessionDecided{
		SessionID: session.String(), TenantID: tenant.String(), Decision: string(decision), DecidedAt: at})
}

// DecideByOutcomes is the Decider of the pipeline: DecisionOf the results'
// outcomes, announced at at.
func DecideByOutcomes(tenant, session uuid.UUID, at time.Time) Decider {
	return func(results []Result) (Decision, Event) {
		outcomes := make([]Outcome, len(results))
		for i, r := range results {
			outcomes[i] = r.Outcome
		}
		decision := DecisionOf(outcomes)
		return decision, DecidedEvent(tenant, session, decision, at)
	}
}
