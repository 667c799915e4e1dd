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
		outcomes []string
		want     string
	}{
		{[]string{passed}, schemas.DecisionApproved},
		{[]string{passed, passed, passed}, schemas.DecisionApproved},
		{[]string{failed}, schemas.DecisionDeclined},
		{[]string{passed, failed}, schemas.DecisionDeclined},
		{[]string{resubmit, failed, review}, schemas.DecisionDeclined},
		{[]string{resubmit}, schemas.DecisionResubmissionRequested},
		{[]string{passed, resubmit}, schemas.DecisionResubmissionRequested},
		{[]string{review, resubmit}, schemas.DecisionResubmissionRequested},
		{[]string{review}, schemas.DecisionReview},
		{[]string{passed, review}, schemas.DecisionReview},
		{[]string{passed, "unheard_of"}, schemas.DecisionReview},
		{nil, schemas.DecisionReview},
	}
	for _, c := range cases {
		if got := DecisionOf(c.outcomes); got != c.want {
			t.Errorf("DecisionOf(%q) = %q, want %q", c.outcomes, got, c.want)
		}
	}
}
