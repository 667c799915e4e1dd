package idv

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/schemas"
)

// The liveness challenge a session draws: what the person must do, chosen
// at random by the server so a recording cannot know it in advance — the
// steps once per session, and, with the light challenge, a light sequence
// per attempt each time the attempt's challenge is handed out.

// NewChallenge draws a challenge with crypto/rand: a turn to the left or the
// right, and a blink, in either order.
func NewChallenge() (schemas.Challenge, error) {
	pick := func(n int64) (int64, error) {
		v, err := rand.Int(rand.Reader, big.NewInt(n))
		if err != nil {
			return 0, fmt.Errorf("challenge: draw: %w", err)
		}
		return v.Int64(), nil
	}
	turn, err := pick(2)
	if err != nil {
		return schemas.Challenge{}, err
	}
	order, err := pick(2)
	if err != nil {
		return schemas.Challenge{}, err
	}
	steps := []string{[]string{schemas.StepTurnLeft, schemas.StepTurnRight}[turn], schemas.StepBlink}
	if order == 1 {
		steps[0], steps[1] = steps[1], steps[0]
	}
	return schemas.Challenge{Steps: steps}, nil
}

// drawInt returns a uniform number in [0, n) from crypto/rand.
func drawInt(n int) (int, error) {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, fmt.Errorf("challenge: draw: %w", err)
	}
	return int(v.Int64()), nil
}

// NewLightSequence draws, with crypto/rand, an attempt's light sequence
// (schemas.DrawLightSequence).
func NewLightSequence() (schemas.LightSequence, error) {
	return schemas.DrawLightSequence(drawInt)
}

// AttemptChallenge is what IDV recorded of one attempt's challenge: when
// it was last handed out (server clock) and how often, the light sequence
// drawn then (nil without the light challenge), and the submission the
// page sent with the attempt (nil before the submit, or when it sent
// none). It holds no personal data; it is deleted with the session's
// other rows at the wipe.
type AttemptChallenge struct {
	SessionID, TenantID uuid.UUID
	Attempt             int
	// IssuedAt is nil when the challenge was never handed out.
	IssuedAt   *time.Time
	Issued     int
	Light      *schemas.LightSequence
	Submission *schemas.Submission
	// Uploaded is when the object store says the attempt's frames were
	// stored, as the API saw them at the submit (nil without a
	// submission).
	Uploaded Uploads
}

// Uploads are the times the object store stored an attempt's challenge
// frames (selfie and light), by kind and index; a zero time where a frame
// was not taken.
type Uploads map[schemas.CaptureKind][]time.Time

// Add records that the capture kind/index was stored at stored, if it is a
// frame of the challenge; other captures are not timed.
func (u Uploads) Add(kind schemas.CaptureKind, index int, stored time.Time) {
	if (kind != schemas.Selfie && kind != schemas.Light) || index < 0 {
		return
	}
	times := u[kind]
	for len(times) <= index {
		times = append(times, time.Time{})
	}
	times[index] = stored.UTC()
	u[kind] = times
}

// At is when the frame kind/index was stored; the zero time if unknown.
func (u Uploads) At(kind schemas.CaptureKind, index int) time.Time {
	if index < 0 || index >= len(u[kind]) {
		return time.Time{}
	}
	return u[kind][index]
}

// ChallengeIssuer records an attempt's challenge as handed out
// (postgres.Sessions).
type ChallengeIssuer interface {
	// IssueChallenge records c (its attempt, IssuedAt and Light) as the
	// attempt's challenge, replacing an earlier one and counting it;
	// ErrChallengeLimit once the attempt's was handed out
	// schemas.MaxChallengeIssues times, ErrConflict when the session is
	// no longer open or at another attempt.
	IssueChallenge(ctx context.Context, c AttemptChallenge) (AttemptChallenge, error)
}

// IssueChallenge hands out the challenge of an open session's current
// attempt at at: the steps (drawn when the session was created) and, for a
// session with the light challenge, a light sequence drawn now, replacing
// one handed out before for the same attempt. ErrNotApplicable for a
// session without the liveness check or no longer open.
func IssueChallenge(ctx context.Context, store ChallengeIssuer, s Session, at time.Time) (AttemptChallenge, error) {
	if !s.Open() || len(s.Challenge) == 0 {
		return AttemptChallenge{}, fmt.Errorf("challenge of %s: %w", s.ID, ErrNotApplicable)
	}
	at = at.UTC().Truncate(time.Microsecond) // as stored
	c := AttemptChallenge{SessionID: s.ID, TenantID: s.TenantID, Attempt: s.Attempt, IssuedAt: &at}
	if s.LightChallenge {
		l, err := NewLightSequence()
		if err != nil {
			return AttemptChallenge{}, err
		}
		c.Light = &l
	}
	return store.IssueChallenge(ctx, c)
}
