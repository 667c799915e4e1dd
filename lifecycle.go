package idv

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/schemas"
)

// The session's lifecycle as services over the stores: each builds the
// event the change announces and hands it to the store method that makes
// the change, which appends it in the same transaction (docs/design.md
// invariant 7). The stores decide nothing and build no event.

// Submitter marks an open session submitted with its event (postgres.Sessions).
type Submitter interface {
	// Submit marks an open session's attempt submitted and appends ev
	// with it; ErrConflict if the session is no longer open or at
	// another attempt.
	Submit(ctx context.Context, tenantID, id uuid.UUID, attempt int, at time.Time, ev Event) error
}

// Submit submits an open session's current attempt at at: its checks
// start on that attempt's captures.
func Submit(ctx context.Context, store Submitter, s Session, at time.Time) error {
	if !s.Open() {
		return fmt.Errorf("submit %s: it is %s: %w", s.ID, s.Status, ErrConflict)
	}
	return store.Submit(ctx, s.TenantID, s.ID, s.Attempt, at, SubmittedEvent(s, at))
}

// SubmissionStore marks an open session submitted with its event and
// stores the page's submission for the attempt with it (postgres.Sessions).
type SubmissionStore interface {
	// SubmitWith is Submitter.Submit that also stores sub as the
	// attempt's submission, and when its frames were uploaded, in the same
	// transaction.
	SubmitWith(ctx context.Context, tenantID, id uuid.UUID, attempt int, at time.Time, sub schemas.Submission, uploaded Uploads, ev Event) error
}

// SubmitWith is Submit with the submission the page sent (timing, the
// light challenge declined, advisory signals) and when the object store
// stored its frames, stored for the attempt.
func SubmitWith(ctx context.Context, store SubmissionStore, s Session, sub schemas.Submission, uploaded Uploads, at time.Time) error {
	if !s.Open() {
		return fmt.Errorf("submit %s: it is %s: %w", s.ID, s.Status, ErrConflict)
	}
	return store.SubmitWith(ctx, s.TenantID, s.ID, s.Attempt, at, sub, uploaded, SubmittedEvent(s, at))
}

// WipeRequester requests sessions' wipes (postgres.Sessions).
type WipeRequester interface {
	// RequestWipe marks the session's wipe requested for reason and appends
	// the event ev makes of its deadline (expires_at) with it, reading the
	// deadline from the row it locks; a session whose wipe was requested
	// before, or that is deleted, is left as it is. ErrNotFound for a
	// session the tenant does not have.
	RequestWipe(ctx context.Context, tenantID, id uuid.UUID, reason string, at time.Time, ev func(expiresAt time.Time) Event) error
	// Decline decides the undecided session declined_by_user and requests
	// its wipe, appending decided and expired; ErrConflict once it is
	// decided otherwise or its wipe was requested.
	Decline(ctx context.Context, tenantID, id uuid.UUID, at time.Time, decided, expired Event) error
}

// ValidWipeReason reports whether reason is one a wipe may be requested for.
func ValidWipeReason(reason string) bool {
	switch reason {
	case schemas.WipeExpired, schemas.WipeCustomerRequest, schemas.WipeDeclinedByUser:
		return true
	}
	return false
}

// RequestWipe requests a session's wipe for reason (the customer's erasure,
// the deadline): the wipe stage destroys its data. Idempotent.
func RequestWipe(ctx context.Context, store WipeRequester, tenantID, id uuid.UUID, reason string, at time.Time) error {
	if !ValidWipeReason(reason) {
		return fmt.Errorf("request wipe of %s: unknown reason %q", id, reason)
	}
	err := store.RequestWipe(ctx, tenantID, id, reason, at, func(expiresAt time.Time) Event {
		return ExpiredEvent(tenantID, id, reason, expiresAt, at)
	})
	if err != nil {
		return fmt.Errorf("request wipe: %w", err)
	}
	return nil
}

// Decline records the person's refusal: the session is decided
// declined_by_user and its wipe requested, in one change.
func Decline(ctx context.Context, store WipeRequester, s Session, at time.Time) error {
	return store.Decline(ctx, s.TenantID, s.ID, at,
		DecidedEvent(s.TenantID, s.ID, DecisionDeclinedByUser, at.UTC(), s.Attempt),
		ExpiredEvent(s.TenantID, s.ID, schemas.WipeDeclinedByUser, s.ExpiresAt, at))
}

// ResultSaver stores a check's result with its event (postgres.Results).
type ResultSaver interface {
	// SaveResult stores r and appends ev in one transaction; a result
	// stored before for the same check wins and nothing is appended.
	SaveResult(ctx context.Context, r Result, ev Event) error
}

// RecordResult stores a check's result and announces it
// (idv.check.completed), once per session and check.
func RecordResult(ctx context.Context, store ResultSaver, r Result) error {
	if err := store.SaveResult(ctx, r, r.CompletedEvent()); err != nil {
		return fmt.Errorf("%s: session %s: %w", r.Check, r.SessionID, err)
	}
	return nil
}

// DecisionStore decides a session once every requested check has its
// result (postgres.Decisions).
type DecisionStore interface {
	Decide(ctx context.Context, tenantID, sessionID uuid.UUID, at time.Time, decide Decider) (Decided, error)
}

// Decide decides a submitted session by its checks' outcomes once the last
// requested check is in; until then it reports what is pending.
func Decide(ctx context.Context, store DecisionStore, tenantID, sessionID uuid.UUID, at time.Time) (Decided, error) {
	return store.Decide(ctx, tenantID, sessionID, at, DecideByOutcomes(tenantID, sessionID, at))
}

// SweepEvents builds the events of the changes the retention sweep makes to
// many sessions in one transaction: the store calls them for each session
// it changes, so the events are the core's while the rows are locked.
type SweepEvents struct {
	Expired      func(tenant, session uuid.UUID, reason string, expiresAt, at time.Time) Event
	ExpiredAgain func(tenant, session uuid.UUID, reason string, expiresAt, at time.Time) Event
	Tail         func(tenant, session uuid.UUID, reason string, expiresAt, at time.Time) Event
	Decided      func(tenant, session uuid.UUID, decision Decision, at time.Time, attempts int) Event
}

// Sweep is the retention sweep's SweepEvents.
var Sweep = SweepEvents{Expired: ExpiredEvent, ExpiredAgain: ExpiredAgainEvent, Tail: TailSweepEvent,
	Decided: DecidedEvent}

// DSRRecorder records a data subject's request with its event (postgres.DSRs).
type DSRRecorder interface {
	Record(ctx context.Context, d DSR, ev Event) error
}

// RecordDSR records a data subject's request and forwards it to the
// controller (idv.dsr.received).
func RecordDSR(ctx context.Context, store DSRRecorder, d DSR) error {
	d.ReceivedAt = d.ReceivedAt.UTC().Truncate(time.Microsecond) // as stored
	return store.Record(ctx, d, DSRReceivedEvent(d.ID, d.TenantID, d.SessionID, d.Kind, d.ReceivedAt))
}

// SessionRequest is what a tenant may ask of a new session; a nil field
// takes the tenant's policy.
type SessionRequest struct {
	Checks        []string
	SelfieFrames  *int
	RetentionDays *int
}

// RequestError is a session request the tenant's policy refuses: Code is
// the stable reason code, Field the request field it is about.
type RequestError struct {
	Code, Field string
	Err         error
}

func (e *RequestError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *RequestError) Unwrap() error { return e.Err }

// NewSession applies req to tenant t's policy and returns the session to
// create at now: its checks, frames and retention, a liveness challenge
// drawn when it asks for liveness, the nonce for the chip's active
// authentication, and an app token valid for tokenTTL at most (never past
// the session's expiry). A refused request is a *RequestError.
func NewSession(t Tenant, req SessionRequest, now time.Time, tokenTTL time.Duration) (Session, error) {
	checks := t.Policy.Checks
	if req.Checks != nil {
		checks = req.Checks
	}
	if err := schemas.ValidateChecks(checks); err != nil {
		return Session{}, &RequestError{Code: "invalid_checks", Field: "checks", Err: err}
	}
	frames := t.Policy.SelfieFrames
	if req.SelfieFrames != nil {
		frames = *req.SelfieFrames
	}
	if err := schemas.ValidateSelfieFrames(frames, checks); err != nil {
		return Session{}, &RequestError{Code: "invalid_selfie_frames", Field: "selfie_frames", Err: err}
	}
	days := t.RetentionDays
	if req.RetentionDays != nil {
		days = *req.RetentionDays
	}
	if err := schemas.ValidateRetentionDays(days); err != nil || days > t.RetentionDays {
		return Session{}, &RequestError{Code: "retention_out_of_range", Field: "retention_days",
			Err: fmt.Errorf("retention_days must be 1..%d (the tenant's retention; never more than %d)",
				t.RetentionDays, schemas.MaxRetentionDays)}
	}
	var challenge []string
	liveness := slices.Contains(checks, schemas.CheckLiveness)
	if liveness {
		c, err := NewChallenge()
		if err != nil {
			return Session{}, err
		}
		challenge = c.Steps
	}
	chipChallenge := make([]byte, schemas.ChipChallengeBytes)
	if _, err := rand.Read(chipChallenge); err != nil {
		return Session{}, fmt.Errorf("chip challenge: %w", err)
	}
	expires := schemas.ExpiresAt(now, days)
	tokenExpires := now.Add(tokenTTL)
	if expires.Before(tokenExpires) {
		tokenExpires = expires
	}
	return Session{ID: uuid.New(), TenantID: t.ID, Status: StatusCreated, Attempt: 1,
		MaxAttempts: t.Policy.Attempts(), Checks: checks, SelfieFrames: frames,
		Challenge: challenge, LightChallenge: liveness && t.Policy.LightChallenge, ChipChallenge: chipChallenge, RetentionDays: days, CreatedAt: now, ExpiresAt: expires,
		AppTokenExpiresAt: tokenExpires}, nil
}

// KeyMaker makes a session's HPKE key pair, wrapped by the vault under the
// epoch key of its expiry hour.
type KeyMaker interface {
	NewSessionKey(ctx context.Context, tenantID, sessionID uuid.UUID, expiresAt time.Time) (WrappedKey, error)
}

// SessionCreator stores a new session with its key pair (postgres.Sessions).
type SessionCreator interface {
	Create(ctx context.Context, s Session, k WrappedKey) error
}

// CreateSession makes the session's key pair and stores the session with
// it, in one transaction of the store.
func CreateSession(ctx context.Context, store SessionCreator, keys KeyMaker, s Session) error {
	k, err := keys.NewSessionKey(ctx, s.TenantID, s.ID, s.ExpiresAt)
	if err != nil {
		return fmt.Errorf("create session %s: %w", s.ID, err)
	}
	return store.Create(ctx, s, k)
}
