package decision

import "github.com/idv-oss/idv/schemas"

// Decide is the decision over the outcomes of every requested check: any
// failed → declined; else any resubmit → resubmission_requested; else any
// review → review; else approved. No outcomes at all, or one it does not
// know, goes to review: a person looks rather than IDV approving blind.
func Decide(outcomes []string) string {
	var failed, resubmit, review bool
	for _, o := range outcomes {
		switch o {
		case schemas.OutcomeFailed:
			failed = true
		case schemas.OutcomeResubmit:
			resubmit = true
		case schemas.OutcomePassed:
		default: // schemas.OutcomeReview, or unknown
			review = true
		}
	}
	switch {
	case failed:
		return schemas.DecisionDeclined
	case resubmit:
		return schemas.DecisionResubmissionRequested
	case review || len(outcomes) == 0:
		return schemas.DecisionReview
	default:
		return schemas.DecisionApproved
	}
}
