package idv

import (
	"reflect"
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

// VerdictOf: a resubmission before the last attempt is a retake naming
// what to take again; at the last attempt it is the decision, except an
// unreadable MRZ, which a person reads (review).
func TestVerdictOf(t *testing.T) {
	t.Parallel()
	blurry := Result{Check: schemas.CheckDocument, Outcome: OutcomeResubmit, Reasons: []string{"image_blurry", "image_glare"}}
	noFaceDoc := Result{Check: schemas.CheckFace, Outcome: OutcomeResubmit, Reasons: []string{"no_face_document", "low_quality"}}
	unreadable := Result{Check: schemas.CheckDocument, Outcome: OutcomeResubmit, Reasons: []string{schemas.ReasonMRZImageUnreadable}}
	passed := Result{Check: schemas.CheckLiveness, Outcome: OutcomePassed}
	failed := Result{Check: schemas.CheckFace, Outcome: OutcomeFailed, Reasons: []string{"low_similarity"}}
	cases := []struct {
		name         string
		results      []Result
		attempt, max int
		decision     Decision
		retake       []schemas.Retake
	}{
		{"retake, grouped by what to take", []Result{blurry, noFaceDoc, passed}, 1, 3, "", []schemas.Retake{
			{Capture: schemas.RetakeDocument, Reasons: []string{"image_blurry", "image_glare", "no_face_document"}},
			{Capture: schemas.RetakeSelfie, Reasons: []string{"low_quality"}}}},
		{"second of three", []Result{blurry}, 2, 3, "", []schemas.Retake{
			{Capture: schemas.RetakeDocument, Reasons: []string{"image_blurry", "image_glare"}}}},
		{"last attempt", []Result{blurry}, 3, 3, DecisionResubmissionRequested, nil},
		{"no retakes allowed", []Result{blurry}, 1, 1, DecisionResubmissionRequested, nil},
		{"MRZ unreadable at the last attempt", []Result{unreadable, passed}, 3, 3, DecisionReview, nil},
		{"MRZ unreadable before it", []Result{unreadable}, 1, 3, "", []schemas.Retake{
			{Capture: schemas.RetakeDocument, Reasons: []string{schemas.ReasonMRZImageUnreadable}}}},
		{"a failure is no retake", []Result{blurry, failed}, 1, 3, DecisionDeclined, nil},
		{"approved", []Result{passed}, 2, 3, DecisionApproved, nil},
	}
	for _, c := range cases {
		decision, retake := VerdictOf(c.results, c.attempt, c.max)
		if decision != c.decision || !reflect.DeepEqual(retake, c.retake) {
			t.Errorf("%s: VerdictOf = %q, %+v; want %q, %+v", c.name, decision, retake, c.decision, c.retake)
		}
	}
}
