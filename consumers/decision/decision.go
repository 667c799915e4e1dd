// Package decision is the decision stage: on every idv.check.completed it
// looks at the session, and once every check the session's attempt
// requested has its result it decides the session (approved, declined,
// resubmission_requested or review) and announces idv.session.decided, or,
// when a check asks for a new photo and attempts remain, returns the
// session to the person for a retake (idv.VerdictOf) — in one transaction
// that holds the session row, so checks completing at once decide it only
// once. An event that finds a check pending, or the session decided,
// locks nothing and writes nothing (postgres.Decisions.Decide).
package decision

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/schemas"
)

// Sessions decides sessions (postgres.Decisions).
type Sessions interface {
	Decide(ctx context.Context, tenantID, sessionID uuid.UUID, at time.Time, decide idv.Decider) (idv.Decided, error)
}

// Deps are the stage's parts.
type Deps struct {
	Sessions Sessions
	Now      func() time.Time // time.Now when nil
	Log      *slog.Logger     // discarded when nil
}

// Stage is the decision stage. It is safe for concurrent use.
type Stage struct {
	sessions Sessions
	now      func() time.Time
	log      *slog.Logger
}

// New returns the stage over its parts.
func New(deps Deps) *Stage {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	deps.Log = cmp.Or(deps.Log, slog.New(slog.DiscardHandler))
	return &Stage{sessions: deps.Sessions, now: deps.Now, log: deps.Log}
}

// Handle decides the event's session if every requested check is in. A
// session already decided, or still waiting for a check, is left as it is:
// the last check to complete triggers the decision. A malformed event or a
// session that is gone or not submitted is stage.Permanent.
func (s *Stage) Handle(ctx context.Context, ev stage.Event) error {
	tenantID, sessionID, err := idv.SessionIDs(schemas.TypeCheckCompleted, ev.Type, ev.Subject, ev.Data)
	if err != nil {
		return stage.Permanent(err)
	}
	log := s.log.With("tenant_id", tenantID, "session_id", sessionID)
	at := s.now().UTC().Truncate(time.Microsecond) // as stored: the webhook, read back, says the same
	d, err := idv.Decide(ctx, s.sessions, tenantID, sessionID, at)
	if err != nil {
		return stage.PermanentIf(fmt.Errorf("decision: %w", err), idv.ErrNotFound, idv.ErrConflict)
	}
	switch {
	case d.New && d.Decision == "":
		log.InfoContext(ctx, "retake requested", "attempt", d.Attempt, "retake", retakeCaptures(d.Retake))
	case d.New:
		log.InfoContext(ctx, "session decided", "decision", d.Decision, "attempts", d.Attempt)
	case len(d.Retake) > 0:
		log.DebugContext(ctx, "session waits for a retake", "attempt", d.Attempt)
	case d.Decision != "":
		log.DebugContext(ctx, "session already decided", "decision", d.Decision)
	default:
		log.DebugContext(ctx, "session waits for checks", "pending", d.Pending)
	}
	return nil
}

// retakeCaptures names what a retake asks for, for the log: codes only.
func retakeCaptures(retake []schemas.Retake) []string {
	out := make([]string, len(retake))
	for i, r := range retake {
		out[i] = r.Capture
	}
	return out
}

// Spec describes the stage to the broker and the consume loop, beside
// its handler.
var Spec = idv.Stage{
	Name:     "decision",
	Consumes: []string{schemas.TypeCheckCompleted},
	Retry:    idv.RetryThroughOutage(),
	// The stage mostly waits on PostgreSQL: DefaultConcurrency.
}
