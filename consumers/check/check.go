// Package check is what every check stage (doccheck, facematch, liveness)
// does around its recogniser: begin on an idv.session.submitted event (the
// session read, the check requested and not yet done), unwrap the session
// key, and the parts they share; the captures themselves are read through
// package capture, and results are recorded with idv.RecordResult.
package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/capture"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// SessionGetter reads a session.
type SessionGetter interface {
	Get(ctx context.Context, tenantID, id uuid.UUID) (idv.Session, error)
}

// ResultFinder tells whether a check's result for an attempt is stored.
type ResultFinder interface {
	Exists(ctx context.Context, tenantID, sessionID uuid.UUID, attempt int, check string) (bool, error)
}

// Begin is how a check stage starts on an idv.session.submitted event: it
// reads the session, and says whether the check has work to do — not when
// the session did not ask for it, its result for the event's attempt is
// already stored, or the session has moved past that attempt (a late
// redelivery: the new attempt has its own event). The session it returns
// is at the event's attempt; the logger carries the ids. A malformed event
// or a session that is gone is stage.Permanent.
func Begin(ctx context.Context, ev stage.Event, sessions SessionGetter, results ResultFinder, check string, log *slog.Logger) (idv.Session, *slog.Logger, bool, error) {
	tenantID, sessionID, attempt, err := Submitted(ev)
	if err != nil {
		return idv.Session{}, log, false, stage.Permanent(fmt.Errorf("%s: %w", check, err))
	}
	log = log.With("tenant_id", tenantID, "session_id", sessionID, "check", check, "attempt", attempt)
	sess, err := sessions.Get(ctx, tenantID, sessionID)
	if err != nil {
		return idv.Session{}, log, false, stage.PermanentIf(err, idv.ErrNotFound)
	}
	if !slices.Contains(sess.Checks, check) {
		log.DebugContext(ctx, "check not requested")
		return sess, log, false, nil
	}
	if sess.Ended() {
		log.InfoContext(ctx, "session ended: not checked")
		return sess, log, false, nil
	}
	if sess.Attempt != attempt {
		log.DebugContext(ctx, "attempt superseded", "current", sess.Attempt)
		return sess, log, false, nil
	}
	done, err := results.Exists(ctx, tenantID, sessionID, attempt, check)
	if err != nil {
		return sess, log, false, err
	}
	if done {
		log.DebugContext(ctx, "check already completed")
	}
	return sess, log, !done, nil
}

// Sessions reads a session, its wrapped key and its declared captures.
type Sessions interface {
	SessionGetter
	KeyReader
	Captures(ctx context.Context, tenantID, id uuid.UUID) ([]idv.Capture, error)
}

// Results finds and stores check results.
type Results interface {
	ResultFinder
	idv.ResultSaver
}

// Stores are the parts every check stage over captures reads and writes.
type Stores struct {
	Sessions Sessions
	Results  Results
	Keys     capture.Unwrapper
	Objects  capture.Getter
	// Reads makes Load's reads one transaction (postgres.Reads); nil:
	// one each.
	Reads idv.Reads
	// Decodes shares decoded captures with the process's other stages
	// (capture.Decodes); nil: the stage decodes what it reads itself.
	Decodes *capture.Decodes
	Now     func() time.Time // time.Now when nil
	Log     *slog.Logger     // discarded when nil
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

// Input is what a check stage works on: the session at the event's
// attempt, its captures of that attempt and its session key, and a logger
// with the ids.
type Input struct {
	Session  idv.Session
	Captures []idv.Capture
	Key      *seal.SessionKey
	Log      *slog.Logger
}

// Load is Begin, SessionKey and Captures, with their reads — and extra's,
// when extra is not nil — in one transaction of the session's tenant
// (st.Reads). todo false: the check has no work (Begin's reasons), and
// nothing but Session and Log is read. An event whose checks leave this
// one out is not read further at all: the session's checks are fixed
// when it is created, so the genuine event of a session that asks for the
// check names it (and a forged one that leaves it out only skips work
// the genuine one causes). Errors are Begin's and SessionKey's.
func Load(ctx context.Context, ev stage.Event, st Stores, check string,
	extra func(ctx context.Context, sess idv.Session) error) (in Input, todo bool, err error) {
	st = st.WithDefaults()
	got, err := idv.DecodeEvent[schemas.SessionSubmitted](schemas.TypeSessionSubmitted, ev.Type, ev.Subject, ev.Data)
	if err != nil {
		return Input{Log: st.Log}, false, stage.Permanent(fmt.Errorf("%s: %w", check, err))
	}
	if !slices.Contains(got.Body.Checks, check) {
		st.Log.DebugContext(ctx, "check not requested", "tenant_id", got.TenantID, "session_id", got.SessionID, "check", check)
		return Input{Log: st.Log}, false, nil
	}
	err = idv.ReadTogether(ctx, st.Reads, got.TenantID, func(ctx context.Context) error {
		if in.Session, in.Log, todo, err = Begin(ctx, ev, st.Sessions, st.Results, check, st.Log); err != nil || !todo {
			return err
		}
		if in.Key, err = SessionKey(ctx, st.Sessions, st.Keys, in.Session); err != nil {
			return fmt.Errorf("%s: %w", check, err)
		}
		if in.Captures, err = Captures(ctx, st.Sessions, in.Session); err != nil || extra == nil {
			return err
		}
		return extra(ctx, in.Session)
	})
	return in, todo && err == nil, err
}

// Record stores a check's result with its event (idv.RecordResult). A
// session whose wipe was requested while the check ran takes nothing:
// Record then says ended, with no error, and the stage acknowledges the
// event having stored nothing.
func Record(ctx context.Context, results idv.ResultSaver, r idv.Result, log *slog.Logger) (ended bool, err error) {
	err = idv.RecordResult(ctx, results, r)
	if errors.Is(err, idv.ErrSessionEnded) {
		log.InfoContext(ctx, "session ended while checked: result not stored")
		return true, nil
	}
	return false, err
}
