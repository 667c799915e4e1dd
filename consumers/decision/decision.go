// Package decision is the decision stage: on every idv.check.completed it
// looks at the session, and once every check the session requested has its
// result it decides the session (approved, declined, resubmission_requested
// or review) and announces idv.session.decided, both in one transaction that
// holds the session row, so checks completing at once decide it only once.
package decision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// Sessions decides sessions (postgres.Decisions).
type Sessions interface {
	Decide(ctx context.Context, tenantID, sessionID uuid.UUID, at time.Time, decide postgres.Decider) (postgres.Decided, error)
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
	if deps.Log == nil {
		deps.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Stage{sessions: deps.Sessions, now: deps.Now, log: deps.Log}
}

// Handle decides the event's session if every requested check is in. A
// session already decided, or still waiting for a check, is left as it is:
// the last check to complete triggers the decision. A malformed event or a
// session that is gone or not submitted is stage.Permanent.
func (s *Stage) Handle(ctx context.Context, ev stage.Event) error {
	tenantID, sessionID, err := decodeCompleted(ev)
	if err != nil {
		return stage.Permanent(err)
	}
	log := s.log.With("tenant_id", tenantID, "session_id", sessionID)
	at := s.now().UTC()
	d, err := s.sessions.Decide(ctx, tenantID, sessionID, at, func(results []postgres.Result) (string, postgres.OutboxEvent) {
		outcomes := make([]string, len(results))
		for i, r := range results {
			outcomes[i] = r.Outcome
		}
		decision := Decide(outcomes)
		return decision, postgres.OutboxEvent{
			TenantID: tenantID,
			MsgID:    schemas.MsgID(schemas.TypeSessionDecided, sessionID.String()),
			Type:     schemas.TypeSessionDecided,
			Subject:  schemas.Subject(schemas.TypeSessionDecided, sessionID.String()),
			Body: schemas.SessionDecided{SessionID: sessionID.String(), TenantID: tenantID.String(),
				Decision: decision, DecidedAt: at},
		}
	})
	if errors.Is(err, postgres.ErrNotFound) || errors.Is(err, postgres.ErrConflict) {
		return stage.Permanent(fmt.Errorf("decision: %w", err))
	}
	if err != nil {
		return fmt.Errorf("decision: %w", err)
	}
	switch {
	case d.New:
		log.InfoContext(ctx, "session decided", "decision", d.Decision)
	case d.Decision != "":
		log.DebugContext(ctx, "session already decided", "decision", d.Decision)
	default:
		log.DebugContext(ctx, "session waits for checks", "pending", d.Pending)
	}
	return nil
}

// decodeCompleted reads the ids of an idv.check.completed event.
func decodeCompleted(ev stage.Event) (tenantID, sessionID uuid.UUID, err error) {
	if ev.Type != "" && ev.Type != schemas.TypeCheckCompleted {
		return uuid.Nil, uuid.Nil, fmt.Errorf("decision: event type %q, want %s", ev.Type, schemas.TypeCheckCompleted)
	}
	var body schemas.CheckCompleted
	if err := json.Unmarshal(ev.Data, &body); err != nil {
		return uuid.Nil, uuid.Nil, fmt.Errorf("decision: decode %s: %w", schemas.TypeCheckCompleted, err)
	}
	if sessionID, err = uuid.Parse(body.SessionID); err != nil {
		return uuid.Nil, uuid.Nil, fmt.Errorf("decision: %s: session_id: %w", schemas.TypeCheckCompleted, err)
	}
	if tenantID, err = uuid.Parse(body.TenantID); err != nil {
		return uuid.Nil, uuid.Nil, fmt.Errorf("decision: %s: tenant_id: %w", schemas.TypeCheckCompleted, err)
	}
	return tenantID, sessionID, nil
}
