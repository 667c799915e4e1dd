package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Decider chooses a session's decision from the results of every check the
// session requested, and returns it with the event announcing it. It runs
// inside the deciding transaction, so it must only compute.
type Decider func(results []Result) (decision string, ev OutboxEvent)

// Decided says what Decide found or did.
type Decided struct {
	// Decision is the session's decision, made by this call or an earlier
	// one; empty while checks are pending.
	Decision  string
	DecidedAt time.Time
	// New is set when this call made the decision.
	New bool
	// Pending lists the requested checks that have no result yet.
	Pending []string
}

// Decisions decides sessions.
type Decisions struct{ db *sqlx.DB }

// NewDecisions returns the decision store over db.
func NewDecisions(db *sqlx.DB) *Decisions { return &Decisions{db: db} }

// Decide decides a submitted session once every check it requested has its
// result, in one transaction: it locks the session row, so that two checks
// completing at once decide it only once; returns what it finds if the
// session is already decided or a requested check is still pending;
// otherwise asks decide for the decision, stores it with decided_at = at and
// status decided, and appends decide's event to the outbox.
//
// ErrNotFound if the tenant has no such session; ErrConflict if the session
// is undecided but not submitted, or requested no checks.
func (s *Decisions) Decide(ctx context.Context, tenantID, sessionID uuid.UUID, at time.Time, decide Decider) (Decided, error) {
	var out Decided
	err := inOutboxTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		var row struct {
			Status    string         `db:"status"`
			Checks    pq.StringArray `db:"checks"`
			Decision  sql.NullString `db:"decision"`
			DecidedAt sql.NullTime   `db:"decided_at"`
		}
		err := tx.GetContext(ctx, &row, `SELECT status, checks, decision, decided_at FROM sessions
			WHERE session_id = $1 AND tenant_id = $2 FOR UPDATE`, sessionID, tenantID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("decisions: session %s: %w", sessionID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("decisions: lock session %s: %w", sessionID, err)
		}
		if row.Decision.Valid {
			out = Decided{Decision: row.Decision.String, DecidedAt: row.DecidedAt.Time}
			return nil
		}
		if row.Status != StatusSubmitted {
			return fmt.Errorf("decisions: session %s is %s, not submitted: %w", sessionID, row.Status, ErrConflict)
		}
		if len(row.Checks) == 0 {
			return fmt.Errorf("decisions: session %s requested no checks: %w", sessionID, ErrConflict)
		}
		results, err := listResults(ctx, tx, tenantID, sessionID, row.Checks)
		if err != nil {
			return err
		}
		for _, c := range row.Checks {
			if !slices.ContainsFunc(results, func(r Result) bool { return r.Check == c }) {
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
			WHERE session_id = $1 AND tenant_id = $2`, sessionID, tenantID, decision, at, StatusDecided); err != nil {
			return fmt.Errorf("decisions: decide %s: %w", sessionID, err)
		}
		if err := appendOutbox(ctx, tx, ev); err != nil {
			return err
		}
		out = Decided{Decision: decision, DecidedAt: at, New: true}
		return nil
	})
	if err != nil {
		return Decided{}, err
	}
	return out, nil
}
