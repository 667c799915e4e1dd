package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

const resultColumns = `session_id, tenant_id, attempt, check_name, outcome, reasons, score, threshold,
	engine, models, completed_at, fields_sealed, advisory`

// resultRow is a check_results row as it is read: the result, and its JSON
// columns until result decodes them.
type resultRow struct {
	res              idv.Result
	models, advisory []byte
}

// fields points at the row's fields in resultColumns' order.
func (r *resultRow) fields() []any {
	return []any{&r.res.SessionID, &r.res.TenantID, &r.res.Attempt, &r.res.Check, &r.res.Outcome, pq.Array(&r.res.Reasons), &r.res.Score,
		&r.res.Threshold, &r.res.Engine, &r.models, &r.res.CompletedAt, &r.res.FieldsSealed, &r.advisory}
}

func (r resultRow) result() (idv.Result, error) {
	res := r.res
	if res.Reasons == nil {
		res.Reasons = []string{}
	}
	if err := json.Unmarshal(r.models, &res.Models); err != nil {
		return idv.Result{}, fmt.Errorf("check results: decode models of %s %s: %w", res.SessionID, res.Check, err)
	}
	if r.advisory != nil {
		if err := json.Unmarshal(r.advisory, &res.Advisory); err != nil {
			return idv.Result{}, fmt.Errorf("check results: decode advisory of %s %s: %w", res.SessionID, res.Check, err)
		}
	}
	return res, nil
}

// Results stores check results.
type Results struct{ db *sqlx.DB }

// NewResults returns the check-result store over db.
func NewResults(db *sql.DB) *Results { return &Results{db: wrap(db)} }

// Exists reports whether a session's check has its result for attempt: a
// stage that finds its result has nothing left to do (docs/design.md
// invariant 7).
func (s *Results) Exists(ctx context.Context, tenantID, sessionID uuid.UUID, attempt int, check string) (bool, error) {
	var ok bool
	err := scopedGet(ctx, s.db, tenantScope(tenantID), &ok, `SELECT EXISTS (SELECT 1 FROM check_results
		WHERE session_id = $1 AND tenant_id = $2 AND attempt = $3 AND check_name = $4)`, sessionID, tenantID, attempt, check)
	if err != nil {
		return false, fmt.Errorf("check results: look up %s %s: %w", sessionID, check, err)
	}
	return ok, nil
}

// Get reads one check's result of the session's current attempt, or
// ErrNotFound.
func (s *Results) Get(ctx context.Context, tenantID, sessionID uuid.UUID, check string) (idv.Result, error) {
	var row resultRow
	err := scopedScan(ctx, s.db, tenantScope(tenantID), row.fields(), `SELECT `+resultColumns+` FROM check_results
		WHERE session_id = $1 AND tenant_id = $2 AND check_name = $3 AND attempt = `+currentAttempt,
		sessionID, tenantID, check)
	if err != nil {
		return idv.Result{}, rowErr(err, "check results: %s %s", "check results: get %s %s", sessionID, check)
	}
	return row.result()
}

// List reads every result of the session's current attempt (the one its
// decision was made on), ordered by check.
func (s *Results) List(ctx context.Context, tenantID, sessionID uuid.UUID) ([]idv.Result, error) {
	var out []idv.Result
	err := inTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		var err error
		out, err = listResults(ctx, tx, tenantID, sessionID, nil)
		return err
	})
	return out, err
}

// SaveResult stores r and appends ev, the event announcing it, in one
// transaction that holds the session row: ErrSessionEnded, storing
// nothing, once the session's wipe was requested. A result already stored
// for the same session, attempt and check wins:
// the call then stores nothing and appends nothing (the transaction that
// stored the first one appended its event), so a stage racing a duplicate
// delivery of its own event does no harm.
func (s *Results) SaveResult(ctx context.Context, r idv.Result, ev idv.Event) error {
	if ev.TenantID != r.TenantID {
		return fmt.Errorf("check results: save %s %s: event of tenant %s", r.SessionID, r.Check, ev.TenantID)
	}
	// pq encodes a nil array as NULL, which the NOT NULL column refuses.
	reasons := pq.StringArray(r.Reasons)
	if reasons == nil {
		reasons = pq.StringArray{}
	}
	models := r.Models
	if models == nil {
		models = map[string]string{}
	}
	modelsJSON, err := json.Marshal(models)
	if err != nil {
		return fmt.Errorf("check results: encode models of %s %s: %w", r.SessionID, r.Check, err)
	}
	var advisory []byte
	if r.Advisory != nil {
		if advisory, err = json.Marshal(r.Advisory); err != nil {
			return fmt.Errorf("check results: encode advisory of %s %s: %w", r.SessionID, r.Check, err)
		}
	}
	var completed *time.Time
	if !r.CompletedAt.IsZero() {
		completed = &r.CompletedAt
	}
	return inOutboxTx(ctx, s.db, tenantScope(r.TenantID), func(tx *sqlx.Tx) error {
		if err := lockNotEnded(ctx, tx, r.TenantID, r.SessionID); err != nil {
			return err
		}
		n, err := execCount(ctx, tx, `INSERT INTO check_results
			(session_id, tenant_id, attempt, check_name, outcome, reasons, score, threshold, engine, models, completed_at,
			 fields_sealed, advisory)
			VALUES ($1, $2, $13, $3, $4, $5, $6, $7, $8, $9, COALESCE($10, now()), $11, $12)
			ON CONFLICT (session_id, attempt, check_name) DO NOTHING`,
			r.SessionID, r.TenantID, r.Check, r.Outcome, reasons, r.Score, r.Threshold, r.Engine, string(modelsJSON), completed, r.FieldsSealed, jsonbOrNull(advisory), max(r.Attempt, 1))
		if err != nil {
			return fmt.Errorf("check results: insert %s %s: %w", r.SessionID, r.Check, err)
		}
		if n == 0 {
			return nil // stored before, with its event
		}
		for _, c := range r.Stored {
			if _, err := tx.ExecContext(ctx, `INSERT INTO captures
				(session_id, tenant_id, attempt, kind, idx, object_key, size, sha256)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
				ON CONFLICT (session_id, attempt, kind, idx) DO UPDATE
				SET object_key = EXCLUDED.object_key, size = EXCLUDED.size, sha256 = EXCLUDED.sha256, declared_at = now()`,
				c.SessionID, c.TenantID, max(c.Attempt, 1), c.Kind, c.Index, c.ObjectKey, c.Size, c.SHA256); err != nil {
				return fmt.Errorf("check results: record %s %s: %w", r.SessionID, schemas.CaptureRef(c.Kind, c.Index), err)
			}
		}
		return appendOutbox(ctx, tx, ev)
	})
}

// currentAttempt is the SQL of the current attempt of the session $1.
const currentAttempt = `(SELECT attempt FROM sessions WHERE sessions.session_id = $1)`

// listResults reads the results of a session's current attempt, only
// those of the named checks unless checks is nil, inside a transaction of
// the tenant's scope.
func listResults(ctx context.Context, q sqlx.QueryerContext, tenantID, sessionID uuid.UUID, checks []string) ([]idv.Result, error) {
	var rows []resultRow
	var err error
	if checks == nil {
		rows, err = scanRows(ctx, q, (*resultRow).fields, `SELECT `+resultColumns+` FROM check_results
			WHERE session_id = $1 AND tenant_id = $2 AND attempt = `+currentAttempt+` ORDER BY check_name`, sessionID, tenantID)
	} else {
		rows, err = scanRows(ctx, q, (*resultRow).fields, `SELECT `+resultColumns+` FROM check_results
			WHERE session_id = $1 AND tenant_id = $2 AND check_name = ANY($3) AND attempt = `+currentAttempt+`
			ORDER BY check_name`,
			sessionID, tenantID, pq.StringArray(checks))
	}
	if err != nil {
		return nil, fmt.Errorf("check results: list %s: %w", sessionID, err)
	}
	out := make([]idv.Result, 0, len(rows))
	for _, row := range rows {
		r, err := row.result()
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// lockNotEnded holds the session row against a wipe request for the rest
// of the transaction (FOR SHARE: writers of results do not wait on each
// other) and refuses one whose wipe was requested.
func lockNotEnded(ctx context.Context, tx *sqlx.Tx, tenantID, sessionID uuid.UUID) error {
	var ended bool
	err := tx.GetContext(ctx, &ended, `SELECT wipe_requested_at IS NOT NULL FROM sessions
		WHERE session_id = $1 AND tenant_id = $2 FOR SHARE`, sessionID, tenantID)
	if err != nil {
		return rowErr(err, "check results: session %s", "check results: lock session %s", sessionID)
	}
	if ended {
		return fmt.Errorf("check results: session %s: %w", sessionID, idv.ErrSessionEnded)
	}
	return nil
}
