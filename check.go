package idv

import "github.com/idv-oss/idv/schemas"

// Outcome is one check's outcome.
type Outcome string

// Check outcomes (the contract's words, schemas.Outcome…).
const (
	OutcomePassed   Outcome = schemas.OutcomePassed
	OutcomeFailed   Outcome = schemas.OutcomeFailed
	OutcomeResubmit Outcome = schemas.OutcomeResubmit
	OutcomeReview   Outcome = schemas.OutcomeReview
)

// Decision is a session's decision.
type Decision string

// Decisions (the contract's words, schemas.Decision…).
const (
	DecisionApproved              Decision = schemas.DecisionApproved
	DecisionDeclined              Decision = schemas.DecisionDeclined
	DecisionReview                Decision = schemas.DecisionReview
	DecisionResubmissionRequested Decision = schemas.DecisionResubmissionRequested
	DecisionExpired               Decision = schemas.DecisionExpired
	DecisionDeclinedByUser        Decision = schemas.DecisionDeclinedByUser
)
