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
// requested has its result, in one transaction: it locks the session row,
// so that two checks completing at once decide it only once; returns what
// it finds if the session is already decided, waits for a retake, or a
// requested check is still pending; otherwise asks decide for the verdict
// over the attempt's results. A decision is stored with decided_at = at and
// status decided, and decide's event appended to the outbox; a retake
// moves the session to its next attempt, status retake_requested, with
// what to take again (the customer hears of the session once, when it is
// decided).
//
// ErrNotFound if the tenant has no such session; ErrConflict if the session
// is undecided but not submitted, or requested no checks.
func (s *Decisions) Decide(ctx context.Context, tenantID, sessionID uuid.UUID, at time.Time, decide idv.Decider) (idv.Decided, error) {
	var out idv.Decided
	err := inOutboxTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		var row struct {
			Status      idv.Status     `db:"status"`
			Checks      pq.StringArray `db:"checks"`
			Attempt     int            `db:"attempt"`
			MaxAttempts int            `db:"max_attempts"`
			Retake      retakeColumn   `db:"retake"`
			Decision    sql.NullString `db:"decision"`
			DecidedAt   sql.NullTime   `db:"decided_at"`
		}
		err := tx.GetContext(ctx, &row, `SELECT status, checks, attempt, max_attempts, retake, decision, decided_at FROM sessions
			WHERE session_id = $1 AND tenant_id = $2 FOR UPDATE`, sessionID, tenantID)
		if err != nil {
			return rowErr(err, "decisions: session %s", "decisions: lock session %s", sessionID)
		}
		out.Attempt = row.Attempt
		switch {
		case row.Decision.Valid:
			out.Decision, out.DecidedAt = idv.Decision(row.Decision.String), row.DecidedAt.Time
			return nil
		case row.Status == idv.StatusRetakeRequested:
			out.Retake = row.Retake
			return nil
		case row.Status != idv.StatusSubmitted:
			return fmt.Errorf("decisions: session %s is %s, not submitted: %w", sessionID, row.Status, idv.ErrConflict)
		case len(row.Checks) == 0:
			return fmt.Errorf("decisions: session %s requested no checks: %w", sessionID, idv.ErrConflict)
		}
		results, err := listResults(ctx, tx, tenantID, sessionID, row.Checks)
		if err != nil {
			return err
		}
		for _, c := range row.Checks {
			if !slices.ContainsFunc(results, func(r idv.Result) bool { return r.Check == c }) {
				out.Pending = append(out.Pending, c)
			}
		}
		if len(out.Pending) > 0 {
			return nil
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
