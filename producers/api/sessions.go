package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/credential"
	"github.com/idv-oss/idv/schemas"
)

type createSessionRequest struct {
	Checks        []string `json:"checks"`
	RetentionDays *int     `json:"retention_days"`
	SelfieFrames  *int     `json:"selfie_frames"`
}

type captureState struct {
	Attempt int                 `json:"attempt"`
	Kind    schemas.CaptureKind `json:"kind"`
	Index   int                 `json:"index"`
	Size    int64               `json:"size"`
}

// sessionBody is a session as GET /v1/sessions/{id} shows it.
type sessionBody struct {
	ID uuid.UUID `json:"id"`
	schemas.SessionState
	Captures      []captureState        `json:"captures"`
	Decision      *string               `json:"decision"`
	DecidedAt     *time.Time            `json:"decided_at"`
	Results       []schemas.CheckResult `json:"results"`
	WipeReason    *string               `json:"wipe_reason"`
	WipeRequested *time.Time            `json:"wipe_requested_at"`
	DeletedAt     *time.Time            `json:"deleted_at"`
	ReceiptID     *uuid.UUID            `json:"receipt_id"`
	Fields        map[string]any        `json:"fields"`
	// Retake is what the person was asked to take again, while the
	// status is retake_requested; empty otherwise.
	Retake []schemas.Retake `json:"retake"`
}

type createdSessionBody struct {
	sessionBody
	AppToken          string    `json:"app_token"`
	AppTokenExpiresAt time.Time `json:"app_token_expires_at"`
	CaptureURL        string    `json:"capture_url,omitempty"`
}

func (s *Server) createSession(w http.ResponseWriter, r *http.Request) error {
	var req createSessionRequest
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	sess, err := idv.NewSession(tenantRecordOf(r), idv.SessionRequest{Checks: req.Checks, SelfieFrames: req.SelfieFrames,
		RetentionDays: req.RetentionDays}, s.now(), s.cfg.AppTokenTTL)
	if re := (*idv.RequestError)(nil); errors.As(err, &re) {
		return apiErr(http.StatusUnprocessableEntity, re.Code, "%v", re.Err).with("field", re.Field)
	}
	if err != nil {
		return err
	}
	token, err := credential.New(credential.AppToken, strings.ReplaceAll(sess.ID.String(), "-", ""))
	if err != nil {
		return err
	}
	sess.AppTokenHash = token.Hash()
	if err := idv.CreateSession(r.Context(), s.sessions, s.keys, sess); err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "session created", "tenant_id", sess.TenantID, "session_id", sess.ID)
	w.Header().Set("Location", "/v1/sessions/"+sess.ID.String())
	writeJSON(w, http.StatusCreated, createdSessionBody{sessionBody: toSessionBody(sess, nil, nil),
		AppToken: token.String(), AppTokenExpiresAt: sess.AppTokenExpiresAt, CaptureURL: s.captureURL(token.String())})
	return nil
}

func (s *Server) getSession(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.writeSession(w, r, tenantOf(r), id, http.StatusOK)
}

// writeSession answers with a session of tenant, its captures and results.
func (s *Server) writeSession(w http.ResponseWriter, r *http.Request, tenant, id uuid.UUID, status int) error {
	v, err := s.readSession(r.Context(), tenant, id)
	if err != nil {
		return err
	}
	return s.answerSession(w, r, v, status)
}

// answerSession answers with a session's view read before, its sealed
// fields opened.
func (s *Server) answerSession(w http.ResponseWriter, r *http.Request, v sessionView, status int) error {
	body := toSessionBody(v.sess, v.caps, v.results)
	var err error
	if body.Fields, err = s.openFields(r, v.sess, v.results, v.key); err != nil {
		return err
	}
	writeJSON(w, status, body)
	return nil
}

// sessionView is what a customer's read of a session shows: the session,
// its captures and results, and its wrapped key when sealed fields are to
// be opened.
type sessionView struct {
	sess    idv.Session
	caps    []idv.Capture
	results []idv.Result
	key     idv.WrappedKey
}

// readSession reads a session's view in one transaction.
func (s *Server) readSession(ctx context.Context, tenant, id uuid.UUID) (v sessionView, err error) {
	err = idv.ReadTogether(ctx, s.reads, tenant, func(ctx context.Context) error {
		if v.sess, err = s.sessions.Get(ctx, tenant, id); err != nil {
			return notFound(err)
		}
		if v.caps, err = s.sessions.Captures(ctx, tenant, id); err != nil {
			return err
		}
		if v.results, err = s.results.List(ctx, tenant, id); err != nil || !sealedFields(v.sess, v.results) {
			return err
		}
		v.key, err = s.sessions.Key(ctx, tenant, id)
		return err
	})
	return v, err
}

func toSessionBody(s idv.Session, caps []idv.Capture, results []idv.Result) sessionBody {
	b := sessionBody{ID: s.ID, SessionState: schemas.SessionState{Status: string(s.Status), Checks: s.Checks,
		SelfieFrames: s.SelfieFrames, RetentionDays: s.RetentionDays, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt,
		SubmittedAt: s.SubmittedAt, Attempt: s.Attempt, MaxAttempts: s.MaxAttempts}, Retake: retakeOf(s), Captures: []captureState{}, Decision: (*string)(s.Decision), DecidedAt: s.DecidedAt,
		Results: []schemas.CheckResult{}, WipeReason: s.WipeReason, WipeRequested: s.WipeRequestedAt, DeletedAt: s.DeletedAt,
		ReceiptID: s.ReceiptID, Fields: map[string]any{}}
	for _, c := range caps {
		b.Captures = append(b.Captures, captureState{Attempt: c.Attempt, Kind: c.Kind, Index: c.Index, Size: c.Size})
	}
	for _, r := range results {
		b.Results = append(b.Results, r.View())
	}
	return b
}

// retakeOf is what the session asks the person to take again: never null.
func retakeOf(s idv.Session) []schemas.Retake {
	if s.Status != idv.StatusRetakeRequested || s.Retake == nil {
		return []schemas.Retake{}
	}
	return s.Retake
}
