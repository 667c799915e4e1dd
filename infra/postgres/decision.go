package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Decisions decides sessions.
type Decisions struct{ db *sqlx.DB }

// NewDecisions returns the decision store over db.
func NewDecisions(db *sql.DB) *Decisions { return &Decisions{db: wrap(db)} }

// Decide decides a submitted session's attempt once every check it
// requested has its result, in one transaction. It first reads the
// session with its attempt's results without a lock (look), and returns
// what it finds if the session is already decided, waits for a retake, or
// a requested check is still pending: a check's event, all but the last
// of a session's, changes nothing, so its transaction takes no row lock and
// no transaction id, writes no WAL and waits for no other (issue 20: the
// database's CPU). The last check to complete finds every earlier one's
// result, as each committed before its event was published. Only when it
// would write does Decide lock the session row, so that two checks
// completing at once decide it only once, and judge it again as the lock
// finds it (an attempt's results, once read, do not change); then it asks
// decide for the verdict over the attempt's results. A decision is stored
// with decided_at = at and status decided, and decide's event appended to
// the outbox; a retake moves the session to its next attempt, status
// retake_requested, with what to take again (the customer hears of the
// session once, when it is decided).
//
// ErrNotFound if the tenant has no such session; ErrConflict if the session
// is undecided but not submitted, or requested no checks.
func (s *Decisions) Decide(ctx context.Context, tenantID, sessionID uuid.UUID, at time.Time, decide idv.Decider) (idv.Decided, error) {
	var out idv.Decided
	err := inOutboxTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		seen, results, err := look(ctx, tx, tenantID, sessionID)
		if err != nil {
			return err
		}
		var settled bool
		if len(results) > 0 {
			if out, settled, err = seen.settled(sessionID, results); settled || err != nil {
				return err
			}
		}
		row, err := lockToDecide(ctx, tx, tenantID, sessionID)
		if err != nil {
			return err
		}
		if len(results) == 0 || row.Attempt != seen.Attempt {
			if results, err = listResults(ctx, tx, tenantID, sessionID, row.Checks); err != nil {
				return err
			}
		}
		if out, settled, err = row.settled(sessionID, results); settled || err != nil {
			return err
		}
		v := decide(results, row.Attempt, row.MaxAttempts)
		if v.Decision == "" {
			return s.retake(ctx, tx, tenantID, sessionID, row.Attempt, v.Retake, &out)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET decision = $3, decided_at = $4, status = $5
			WHERE session_id = $1 AND tenant_id = $2`, sessionID, tenantID, v.Decision, at, idv.StatusDecided); err != nil {
			return fmt.Errorf("decisions: decide %s: %w", sessionID, err)
		}
		if err := appendOutbox(ctx, tx, v.Event); err != nil {
			return err
		}
		out = idv.Decided{Decision: v.Decision, DecidedAt: at, New: true, Attempt: row.Attempt}
		return nil
	})
	if err != nil {
		return idv.Decided{}, err
	}
	return out, nil
}

// toDecide is what Decide reads of a session's row.
type toDecide struct {
	Status      idv.Status
	Checks      pq.StringArray
	Attempt     int
	MaxAttempts int
	Retake      retakeColumn
	Decision    sql.NullString
	DecidedAt   sql.NullTime
}

// toDecideColumns are the sessions columns toDecide.fields points at (look
// reads them under other names beside the results').
const toDecideColumns = `status, checks, attempt, max_attempts, retake, decision, decided_at`

// fields points at r's fields in toDecideColumns' order.
func (r *toDecide) fields() []any {
	return []any{&r.Status, &r.Checks, &r.Attempt, &r.MaxAttempts, &r.Retake, &r.Decision, &r.DecidedAt}
}

// lockToDecide reads the session's row under FOR UPDATE.
func lockToDecide(ctx context.Context, tx *sqlx.Tx, tenantID, sessionID uuid.UUID) (toDecide, error) {
	var row toDecide
	err := tx.QueryRowContext(ctx, `SELECT `+toDecideColumns+` FROM sessions
		WHERE session_id = $1 AND tenant_id = $2 FOR UPDATE`, sessionID, tenantID).Scan(row.fields()...)
	if err != nil {
		return toDecide{}, rowErr(err, "decisions: session %s", "decisions: lock session %s", sessionID)
	}
	return row, nil
}

// look reads, without a lock and in one statement, the results of the
// session's current attempt for the checks it requested, each with the
// session's row; none (and no row) when there is no such result, or no
// such session.
func look(ctx context.Context, tx *sqlx.Tx, tenantID, sessionID uuid.UUID) (toDecide, []idv.Result, error) {
	type joined struct {
		result resultRow
		row    toDecide
	}
	rows, err := scanRows(ctx, tx, func(j *joined) []any { return append(j.result.fields(), j.row.fields()...) },
		`SELECT `+resultColumns+`, status, checks, s_attempt, max_attempts, retake, decision, decided_at
		FROM check_results JOIN (
			SELECT session_id AS s_id, tenant_id AS s_tenant, attempt AS s_attempt, status, checks, max_attempts,
				retake, decision, decided_at FROM sessions
			WHERE session_id = $1 AND tenant_id = $2) s
		ON session_id = s_id AND tenant_id = s_tenant AND attempt = s_attempt
		WHERE session_id = $1 AND tenant_id = $2 AND check_name = ANY(checks) ORDER BY check_name`,
		sessionID, tenantID)
	if err != nil {
		return toDecide{}, nil, fmt.Errorf("decisions: read session %s: %w", sessionID, err)
	}
	if len(rows) == 0 {
		return toDecide{}, nil, nil
	}
	results := make([]idv.Result, len(rows))
	for i, j := range rows {
		if results[i], err = j.result.result(); err != nil {
			return toDecide{}, nil, err
		}
	}
	return rows[0].row, results, nil
}

// settled is what Decide answers, writing nothing, for the session as r
// holds it with results: true when it is decided, waits for a retake or for
// a check; false when it is ready for a verdict. ErrConflict when it is
// undecided but not submitted, or requested no checks.
func (r toDecide) settled(sessionID uuid.UUID, results []idv.Result) (idv.Decided, bool, error) {
	out := idv.Decided{Attempt: r.Attempt}
	switch {
	case r.Decision.Valid:
		out.Decision, out.DecidedAt = idv.Decision(r.Decision.String), r.DecidedAt.Time
		return out, true, nil
	case r.Status == idv.StatusRetakeRequested:
		out.Retake = r.Retake
		return out, true, nil
	case r.Status != idv.StatusSubmitted:
		return out, true, fmt.Errorf("decisions: session %s is %s, not submitted: %w", sessionID, r.Status, idv.ErrConflict)
	case len(r.Checks) == 0:
		return out, true, fmt.Errorf("decisions: session %s requested no checks: %w", sessionID, idv.ErrConflict)
	}
	for _, c := range r.Checks {
		if !slices.ContainsFunc(results, func(res idv.Result) bool { return res.Check == c }) {
			out.Pending = append(out.Pending, c)
		}
	}
	return out, len(out.Pending) > 0, nil
}

// retake moves the session past attempt to the next, waiting for the
// person's new captures of what retake names.
func (s *Decisions) retake(ctx context.Context, tx *sqlx.Tx, tenantID, sessionID uuid.UUID, attempt int, retake []schemas.Retake, out *idv.Decided) error {
	if len(retake) == 0 {
		return fmt.Errorf("decisions: session %s: neither a decision nor a retake", sessionID)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET status = $3, attempt = $4, retake = $5, submitted_at = NULL
		WHERE session_id = $1 AND tenant_id = $2`, sessionID, tenantID, idv.StatusRetakeRequested, attempt+1,
		retakeColumn(retake)); err != nil {
		return fmt.Errorf("decisions: retake of %s: %w", sessionID, err)
	}
	*out = idv.Decided{New: true, Retake: retake, Attempt: attempt + 1}
	return nil
}
