package idv

import (
	"testing"

	"github.com/idv-oss/idv/schemas"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	const (
		passed   = schemas.OutcomePassed
		failed   = schemas.OutcomeFailed
		resubmit = schemas.OutcomeResubmit
		review   = schemas.OutcomeReview
	)
	cases := []struct {
		outcomes []Outcome
		want     Decision
	}{
		{[]Outcome{passed}, schemas.DecisionApproved},
		{[]Outcome{passed, passed, passed}, schemas.DecisionApproved},
		{[]Outcome{failed}, schemas.DecisionDeclined},
		{[]Outcome{passed, failed}, schemas.DecisionDeclined},
		{[]Outcome{resubmit, failed, review}, schemas.DecisionDeclined},
		{[]Outcome{resubmit}, schemas.DecisionResubmissionRequested},
		{[]Outcome{passed, resubmit}, schemas.DecisionResubmissionRequested},
		{[]Outcome{review, resubmit}, schemas.DecisionResubmissionRequested},
		{[]Outcome{review}, schemas.DecisionReview},
		{[]Outcome{passed, review}, schemas.DecisionReview},
		{[]Outcome{passed, "unheard_of"}, schemas.DecisionReview},
		{nil, schemas.DecisionReview},
	}
	for _, c := range cases {
		if got := DecisionOf(c.outcomes); got != c.want {
			t.Errorf("DecisionOf(%q) = %q, want %q", c.outcomes, got, c.want)
		}
	}
}
