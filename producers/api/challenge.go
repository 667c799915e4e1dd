package api

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// The attempt's challenge (POST /v1/app/session/challenge) and the
// submission the page sends with the submit (issue 22).

// issueChallenge hands out the current attempt's challenge: its steps and,
// with the light challenge, a light sequence drawn now, recording when on
// the server's clock. 409 challenge_not_applicable for a session without
// the liveness check or no longer open; 429 challenge_limit past
// schemas.MaxChallengeIssues for the attempt.
func (s *Server) issueChallenge(w http.ResponseWriter, r *http.Request) error {
	sess := sessionOf(r)
	var none struct{}
	if err := decode(w, r, &none, true); err != nil {
		return err
	}
	c, err := idv.IssueChallenge(r.Context(), s.sessions, sess, s.now())
	switch {
	case errors.Is(err, idv.ErrNotApplicable), errors.Is(err, idv.ErrConflict):
		return apiErr(http.StatusConflict, "challenge_not_applicable",
			"the session takes no challenge: it does not ask for liveness, or no longer takes captures")
	case errors.Is(err, idv.ErrChallengeLimit):
		return apiErr(http.StatusTooManyRequests, "challenge_limit",
			"the attempt's challenge was handed out %d times; a retake starts a new attempt", schemas.MaxChallengeIssues)
	case err != nil:
		return err
	}
	s.log.InfoContext(r.Context(), "challenge issued", "tenant_id", sess.TenantID, "session_id", sess.ID,
		"attempt", c.Attempt, "issued", c.Issued)
	writeJSON(w, http.StatusOK, schemas.IssuedChallenge{Attempt: c.Attempt, IssuedAt: *c.IssuedAt, Steps: sess.Challenge,
		WindowMs: schemas.ChallengeWindowMs, Light: c.Light})
	return nil
}

// submission reads the submit's optional body: nil when there is none
// (an empty body without a content type). A body that is not one JSON
// object is 400 invalid_request; one ParseSubmission refuses 422
// invalid_submission naming details.field.
func submission(w http.ResponseWriter, r *http.Request, sess idv.Session) (*schemas.Submission, error) {
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil, nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, apiErr(http.StatusUnsupportedMediaType, "unsupported_media_type", "the body must be application/json")
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, errTooLarge(maxBody)
	}
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, nil
	}
	sub, err := schemas.ParseSubmission(b, schemas.SubmissionLimits{SelfieFrames: sess.SelfieFrames, LightFrames: schemas.LightFrames})
	var se *schemas.SubmissionError
	switch {
	case errors.As(err, &se):
		return nil, apiErr(http.StatusUnprocessableEntity, "invalid_submission", "%v", se).with("field", se.Field)
	case err != nil:
		return nil, apiErr(http.StatusBadRequest, "invalid_request", "the body is not one JSON object")
	}
	return &sub, nil
}

// slotsOf are the session's capture slots as a submission leaves them: a
// person who declined the light challenge takes no light frames.
func slotsOf(sess idv.Session, sub *schemas.Submission) []schemas.Slot {
	declined := sub != nil && sub.LightDeclined
	return schemas.SessionSlots(sess.Checks, sess.SelfieFrames, sess.LightChallenge && !declined)
}
