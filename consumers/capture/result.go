package capture

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// Reasons collects a check's reason codes.
type Reasons []string

// Add appends reason codes.
func (s *Reasons) Add(codes ...string) { *s = append(*s, codes...) }

// Codes returns the reasons sorted, each once, and never nil: an event's
// reasons are an array, not null.
func (s Reasons) Codes() []string {
	out := slices.Clone([]string(s))
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// Outcome maps a check's reason codes to its outcome: none → passed; only
// reasons in resubmit (those a new capture can fix) → resubmit; any other,
// including a reason the caller does not know → failed.
func Outcome(reasons, resubmit []string) string {
	if len(reasons) == 0 {
		return schemas.OutcomePassed
	}
	for _, r := range reasons {
		if !slices.Contains(resubmit, r) {
			return schemas.OutcomeFailed
		}
	}
	return schemas.OutcomeResubmit
}

// SessionGetter reads a session.
type SessionGetter interface {
	Get(ctx context.Context, tenantID, id uuid.UUID) (postgres.Session, error)
}

// ResultFinder tells whether a check's result is stored.
type ResultFinder interface {
	Exists(ctx context.Context, tenantID, sessionID uuid.UUID, check string) (bool, error)
}

// Begin is how a check stage starts on an idv.session.submitted event: it
// reads the session, and says whether the check has work to do — not when
// the session did not ask for it or its result is already stored. The
// logger it returns carries the ids. A malformed event or a session that is
// gone is stage.Permanent.
func Begin(ctx context.Context, ev stage.Event, sessions SessionGetter, results ResultFinder, check string, log *slog.Logger) (postgres.Session, *slog.Logger, bool, error) {
	tenantID, sessionID, err := Submitted(ev)
	if err != nil {
		return postgres.Session{}, log, false, stage.Permanent(fmt.Errorf("%s: %w", check, err))
	}
	log = log.With("tenant_id", tenantID, "session_id", sessionID, "check", check)
	sess, err := sessions.Get(ctx, tenantID, sessionID)
	if err != nil {
		return postgres.Session{}, log, false, stage.PermanentIf(err, postgres.ErrNotFound)
	}
	if !slices.Contains(sess.Checks, check) {
		log.DebugContext(ctx, "check not requested")
		return sess, log, false, nil
	}
	done, err := results.Exists(ctx, tenantID, sessionID, check)
	if err != nil {
		return sess, log, false, err
	}
	if done {
		log.DebugContext(ctx, "check already completed")
	}
	return sess, log, !done, nil
}

// ResultSaver stores a check result with its event in one transaction.
type ResultSaver interface {
	SaveResult(ctx context.Context, r postgres.Result, ev postgres.OutboxEvent) error
}

// Save stores a check's result and appends its idv.check.completed event
// (ids, check, outcome and reasons only) in the same transaction.
func Save(ctx context.Context, results ResultSaver, res postgres.Result) error {
	session := res.SessionID.String()
	ev := postgres.OutboxEvent{
		TenantID: res.TenantID,
		MsgID:    schemas.MsgID(schemas.TypeCheckCompleted, session, res.Check),
		Type:     schemas.TypeCheckCompleted,
		Subject:  schemas.Subject(schemas.TypeCheckCompleted, session),
		Body: schemas.CheckCompleted{SessionID: session, TenantID: res.TenantID.String(),
			Check: res.Check, Outcome: res.Outcome, Reasons: res.Reasons},
	}
	if err := results.SaveResult(ctx, res, ev); err != nil {
		return fmt.Errorf("%s: session %s: %w", res.Check, session, err)
	}
	return nil
}

// Sessions reads a session, its wrapped key and its declared captures.
type Sessions interface {
	SessionGetter
	KeyReader
	Captures(ctx context.Context, tenantID, id uuid.UUID) ([]postgres.Capture, error)
}

// Results finds and stores check results.
type Results interface {
	ResultFinder
	ResultSaver
}

// Stores are the parts every check stage over captures reads and writes.
type Stores struct {
	Sessions Sessions
	Results  Results
	Keys     Unwrapper
	Objects  Getter
	Now      func() time.Time // time.Now when nil
	Log      *slog.Logger     // discarded when nil
}

// WithDefaults fills in Now and Log.
func (s Stores) WithDefaults() Stores {
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Log == nil {
		s.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return s
}
