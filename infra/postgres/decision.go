package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Decisions decides sessions.
type Decisions struct{ db *sqlx.DB }

// NewDecisions returns the decision store over db.
func NewDecisions(db *sql.DB) *Decisions { return &Decisions{db: wrap(db)} }

// Decide decides a submitted session once every check it requested has its
// result, in one transaction: it locks the session row, so that two checks
// completing at once decide it only once; returns what it finds if the
// session is already decided or a requested check is still pending;
// otherwise asks decide for the decision, stores it with decided_at = at and
// status decided, and appends decide's event to the outbox.
//
// ErrNotFound if the tenant has no such session; ErrConflict if the session
// is undecided but not submitted, or requested no checks.
func (s *Decisions) Decide(ctx context.Context, tenantID, sessionID uuid.UUID, at time.Time, decide idv.Decider) (idv.Decided, error) {
	var out idv.Decided
	err := inOutboxTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		var row struct {
			Status    idv.Status     `db:"status"`
			Checks    pq.StringArray `db:"checks"`
			Decision  sql.NullString `db:"decision"`
			DecidedAt sql.NullTime   `db:"decided_at"`
		}
		err := tx.GetContext(ctx, &row, `SELECT status, checks, decision, decided_at FROM sessions
			WHERE session_id = $1 AND tenant_id = $2 FOR UPDATE`, sessionID, tenantID)
		if err != nil {
			return rowErr(err, "decisions: session %s", "decisions: lock session %s", sessionID)
		}
		if row.Decision.Valid {
			out = idv.Decided{Decision: idv.Decision(row.Decision.String), DecidedAt: row.DecidedAt.Time}
			return nil
		}
		if row.Status != idv.StatusSubmitted {
			return fmt.Errorf("decisions: session %s is %s, not submitted: %w", sessionID, row.Status, idv.ErrConflict)
		}
		if len(row.Checks) == 0 {
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
		decision, ev := decide(results)
		if decision == "" {
			return fmt.Errorf("decisions: session %s: no decision made", sessionID)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET decision = $3, decided_at = $4, status = $5
			WHERE session_id = $1 AND tenant_id = $2`, sessionID, tenantID, decision, at, idv.StatusDecided); err != nil {
			return fmt.Errorf("decisions: decide %s: %w", sessionID, err)
		}
		if err := appendOutbox(ctx, tx, ev); err != nil {
			return err
		}
		out = idv.Decided{Decision: decision, DecidedAt: at, New: true}
		return nil
	})
	if err != nil {
		return idv.Decided{}, err
	}
	return out, nil
}
