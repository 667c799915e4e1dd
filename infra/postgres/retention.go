package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// A wipe request moves a session to status expired (migration 003): its
// deadline passed, the customer asked for erasure or the person declined.
// The request and its idv.session.expired event are written in one
// transaction, so the wipe stage hears of every request exactly once in
// effect (docs/design.md invariants 3 and 7).

// wipeColumns are the sessions columns a wipe request reads (into a
// sessionRow), under the row's lock.
const wipeColumns = `session_id, tenant_id, status, attempt, expires_at, decision, wipe_requested_at, deleted_at`

// ended reports whether the session's wipe was already requested or done.
func (r sessionRow) ended() bool {
	return r.WipeRequestedAt != nil || r.DeletedAt != nil || r.Status == idv.StatusExpired || r.Status == idv.StatusDeleted
}

// RequestWipe marks a session's wipe requested (status expired, wipe_reason,
// wipe_requested_at = at) and appends the idv.session.expired.<id> event ev
// makes of the deadline of the row it locked, and an erasure_requested
// audit entry (actor from WithActor) in the same
// transaction. Another tenant's session is ErrNotFound. It is idempotent: a
// session whose wipe was already requested, or that is deleted, is left as
// it is and nothing is appended.
func (s *Sessions) RequestWipe(ctx context.Context, tenantID, id uuid.UUID, reason string, at time.Time, ev func(expiresAt time.Time) idv.Event) error {
	return inOutboxTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		row, err := lockForWipe(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if row.ended() {
			return nil
		}
		if err := requestWipe(ctx, tx, row, reason, at, ev(row.ExpiresAt)); err != nil {
			return err
		}
		fallback := idv.ActorUnknown
		if reason == schemas.WipeDeclinedByUser {
			fallback = idv.ActorAppToken(id)
		}
		return appendAudit(ctx, tx, idv.AuditEntry{TenantID: tenantID, At: at, Actor: idv.ActorOf(ctx, fallback),
			Action: idv.AuditErasureRequested, SessionID: id, Detail: map[string]string{"reason": reason}})
	})
}

// Decline records the person's refusal in one transaction: the undecided
// session is decided declined_by_user at at, idv.session.decided is
// appended, and its wipe is requested with reason declined_by_user as
// RequestWipe does; the declined_by_user audit entry goes with them.
// ErrConflict if the session was already decided otherwise or its wipe was
// requested: the person can no longer decline. A
// repeated decline (the app retrying) finds its own decision and returns nil
// without appending anything.
func (s *Sessions) Decline(ctx context.Context, tenantID, id uuid.UUID, at time.Time, decided, expired idv.Event) error {
	return inOutboxTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		row, err := lockForWipe(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if row.Decision != nil && *row.Decision == schemas.DecisionDeclinedByUser {
			return nil
		}
		if row.Decision != nil || row.ended() {
			return fmt.Errorf("sessions: decline %s: it is %s: %w", id, row.Status, idv.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET decision = $3, decided_at = $4, status = $5
			WHERE session_id = $1 AND tenant_id = $2`,
			id, tenantID, schemas.DecisionDeclinedByUser, at, idv.StatusDecided); err != nil {
			return fmt.Errorf("sessions: decline %s: %w", id, err)
		}
		if err := appendOutbox(ctx, tx, decided); err != nil {
			return err
		}
		if err := requestWipe(ctx, tx, row, schemas.WipeDeclinedByUser, at, expired); err != nil {
			return err
		}
		return appendAudit(ctx, tx, idv.AuditEntry{TenantID: tenantID, At: at, Actor: idv.ActorOf(ctx, idv.ActorAppToken(id)),
			Action: idv.AuditDeclinedByUser, SessionID: id,
			Detail: map[string]string{"decision": schemas.DecisionDeclinedByUser, "reason": schemas.WipeDeclinedByUser}})
	})
}

// lockForWipe locks the tenant's session row and reads what a wipe request
// needs.
func lockForWipe(ctx context.Context, tx *sqlx.Tx, tenantID, id uuid.UUID) (sessionRow, error) {
	var row sessionRow
	err := tx.GetContext(ctx, &row, `SELECT `+wipeColumns+` FROM sessions
		WHERE session_id = $1 AND tenant_id = $2 FOR UPDATE`, id, tenantID)
	if err != nil {
		return sessionRow{}, rowErr(err, "sessions: %s", "sessions: lock %s", id)
	}
	return row, nil
}

// requestWipe marks the locked session's wipe requested and appends its
// idv.session.expired event.
func requestWipe(ctx context.Context, tx *sqlx.Tx, row sessionRow, reason string, at time.Time, ev idv.Event) error {
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET status = $3, wipe_reason = $4, wipe_requested_at = $5
		WHERE session_id = $1 AND tenant_id = $2`, row.ID, row.TenantID, idv.StatusExpired, reason, at); err != nil {
		return fmt.Errorf("sessions: request wipe of %s: %w", row.ID, err)
	}
	return appendOutbox(ctx, tx, ev)
}

// Retention is what the scheduled retention producer reads and writes across
// all tenants: every method runs in the system scope, because the deadline
// applies to every tenant alike.
type Retention struct{ db *sqlx.DB }

// NewRetention returns the retention store over db.
func NewRetention(db *sql.DB) *Retention { return &Retention{db: wrap(db)} }

// ClaimExpired requests the wipe of up to limit sessions whose deadline has
// come (expires_at <= now) and whose wipe nobody requested yet, earliest
// deadline first, whatever their status: sessions never submitted die on
// time too. It returns how many it claimed; call it until that is less than
// limit. Each call is one transaction that locks its rows with FOR UPDATE
// SKIP LOCKED, so replicas running at once share the backlog and never
// claim a session twice.
//
// A session that expires undecided is decided expired at now first, and its
// idv.session.decided event goes out ahead of idv.session.expired: the
// customer learns by the usual webhook that the session ended without a
// result, rather than by its silent disappearance, and the tombstone keeps
// that decision. A decision stage finishing late finds the session decided
// and decides nothing more.
func (r *Retention) ClaimExpired(ctx context.Context, now time.Time, limit int, ev idv.SweepEvents) (int, error) {
	if limit <= 0 {
		return 0, fmt.Errorf("retention: claim expired: limit %d, want > 0", limit)
	}
	var n int
	err := inOutboxTx(ctx, r.db, systemScope, func(tx *sqlx.Tx) error {
		var rows []sessionRow
		if err := tx.SelectContext(ctx, &rows, `SELECT `+wipeColumns+` FROM sessions
			WHERE expires_at <= $1 AND wipe_requested_at IS NULL AND deleted_at IS NULL
			ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`, now, limit); err != nil {
			return fmt.Errorf("retention: claim expired: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]uuid.UUID, len(rows))
		for i, row := range rows {
			ids[i] = row.ID
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET status = $2, wipe_reason = $3, wipe_requested_at = $4,
			decision = coalesce(decision, $5), decided_at = coalesce(decided_at, $4)
			WHERE session_id = ANY($1)`,
			pq.Array(ids), idv.StatusExpired, schemas.WipeExpired, now, schemas.DecisionExpired); err != nil {
			return fmt.Errorf("retention: request wipe of %d sessions: %w", len(rows), err)
		}
		for _, row := range rows {
			if row.Decision == nil {
				if err := appendOutbox(ctx, tx, ev.Decided(row.TenantID, row.ID, schemas.DecisionExpired, now.UTC(), row.Attempt)); err != nil {
					return err
				}
			}
			if err := appendOutbox(ctx, tx, ev.Expired(row.TenantID, row.ID, schemas.WipeExpired, row.ExpiresAt, now)); err != nil {
				return err
			}
		}
		n = len(rows)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// RerequestStuck asks again for the wipe of sessions whose wipe was
// requested before requestedBefore and has not finished — a wipe that used
// up its deliveries during a long storage outage starts over (the wipe is
// idempotent). The message id carries now's hour, so a stuck session is
// asked for at most once an hour. It returns how many it asked for.
func (r *Retention) RerequestStuck(ctx context.Context, now, requestedBefore time.Time, limit int, ev idv.SweepEvents) (int, error) {
	var n int
	err := inOutboxTx(ctx, r.db, systemScope, func(tx *sqlx.Tx) error {
		// wipe_reason is set with wipe_requested_at (migration 003).
		var rows []sessionRow
		if err := tx.SelectContext(ctx, &rows, `SELECT `+wipeColumns+`, wipe_reason FROM sessions
			WHERE wipe_requested_at < $1 AND deleted_at IS NULL
			ORDER BY wipe_requested_at LIMIT $2`, requestedBefore, limit); err != nil {
			return fmt.Errorf("retention: stuck wipes: %w", err)
		}
		for _, row := range rows {
			added, err := appendOutboxOnce(ctx, tx, ev.ExpiredAgain(row.TenantID, row.ID, *row.WipeReason, row.ExpiresAt, now))
			if err != nil {
				return err
			}
			if added {
				n++
			}
		}
		return nil
	})
	return n, err
}

// RequestTailSweeps asks for the tail sweep of up to limit sessions deleted
// before deletedBefore whose tail sweep nobody asked for yet: an
// idv.session.expired event with its own message id (ev.Tail), on which
// the wipe stage deletes whatever landed under the session's prefix since
// its wipe. Each session is asked for once; it returns how many.
func (r *Retention) RequestTailSweeps(ctx context.Context, now, deletedBefore time.Time, limit int, ev idv.SweepEvents) (int, error) {
	var n int
	err := inOutboxTx(ctx, r.db, systemScope, func(tx *sqlx.Tx) error {
		var rows []sessionRow
		if err := tx.SelectContext(ctx, &rows, `SELECT `+wipeColumns+`, wipe_reason FROM sessions
			WHERE deleted_at < $1 AND tail_requested_at IS NULL
			ORDER BY deleted_at LIMIT $2 FOR UPDATE SKIP LOCKED`, deletedBefore, limit); err != nil {
			return fmt.Errorf("retention: tail sweeps: %w", err)
		}
		for _, row := range rows {
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET tail_requested_at = $2 WHERE session_id = $1`,
				row.ID, now); err != nil {
				return fmt.Errorf("retention: tail sweep of %s: %w", row.ID, err)
			}
			reason := ""
			if row.WipeReason != nil {
				reason = *row.WipeReason
			}
			if err := appendOutbox(ctx, tx, ev.Tail(row.TenantID, row.ID, reason, row.ExpiresAt, now)); err != nil {
				return err
			}
		}
		n = len(rows)
		return nil
	})
	return n, err
}

// DecideLate decides the sessions that would otherwise wait for ever:
// `review` for those submitted before `before` and still undecided because
// a check never reported (its stage is down or cannot run here), and
// `resubmission_requested` for those waiting for a retake whose app token
// expired before now, so the person can no longer send it. A result
// arriving later finds the session decided and changes nothing. It
// returns how many it decided.
func (r *Retention) DecideLate(ctx context.Context, now, before time.Time, limit int, ev idv.SweepEvents) (int, error) {
	var n int
	err := inOutboxTx(ctx, r.db, systemScope, func(tx *sqlx.Tx) error {
		var rows []sessionRow
		if err := tx.SelectContext(ctx, &rows, `SELECT `+wipeColumns+` FROM sessions
			WHERE decision IS NULL AND (status = $1 AND submitted_at < $2 OR status = $4 AND app_token_expires_at < $5)
			ORDER BY coalesce(submitted_at, app_token_expires_at) LIMIT $3 FOR UPDATE SKIP LOCKED`,
			idv.StatusSubmitted, before, limit, idv.StatusRetakeRequested, now); err != nil {
			return fmt.Errorf("retention: late decisions: %w", err)
		}
		for _, row := range rows {
			decision := idv.DecisionReview
			if row.Status == idv.StatusRetakeRequested {
				decision = idv.DecisionResubmissionRequested
			}
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET decision = $2, decided_at = $3, status = $4
				WHERE session_id = $1`, row.ID, decision, now, idv.StatusDecided); err != nil {
				return fmt.Errorf("retention: decide %s late: %w", row.ID, err)
			}
			if err := appendOutbox(ctx, tx, ev.Decided(row.TenantID, row.ID, decision, now.UTC(), row.Attempt)); err != nil {
				return err
			}
		}
		n = len(rows)
		return nil
	})
	return n, err
}

// Overdue counts the sessions not yet deleted whose deadline is before now,
// and returns the created_at of the oldest session not yet deleted: the age
// of the oldest personal data IDV holds (zero when it holds none).
func (r *Retention) Overdue(ctx context.Context, now time.Time) (overdue int, oldest time.Time, err error) {
	var row struct {
		Overdue int          `db:"overdue"`
		Oldest  sql.NullTime `db:"oldest"`
	}
	if err := scopedGet(ctx, r.db, systemScope, &row, `SELECT count(*) FILTER (WHERE expires_at < $1) AS overdue,
		min(created_at) AS oldest FROM sessions WHERE deleted_at IS NULL`, now); err != nil {
		return 0, time.Time{}, fmt.Errorf("retention: overdue: %w", err)
	}
	if row.Oldest.Valid {
		oldest = row.Oldest.Time.UTC()
	}
	return row.Overdue, oldest, nil
}

// LiveEpochs returns, per tenant, the epochs that still wrap a session key
// stored in session_keys: destroying one of them would shred a session that
// is not wiped yet, so the epoch sweep must leave them.
func (r *Retention) LiveEpochs(ctx context.Context) (map[uuid.UUID][]time.Time, error) {
	var rows []struct {
		TenantID uuid.UUID `db:"tenant_id"`
		Epoch    time.Time `db:"epoch"`
	}
	if err := scopedSelect(ctx, r.db, systemScope, &rows, `SELECT DISTINCT tenant_id, epoch FROM session_keys
		ORDER BY tenant_id, epoch`); err != nil {
		return nil, fmt.Errorf("retention: live epochs: %w", err)
	}
	live := make(map[uuid.UUID][]time.Time)
	for _, row := range rows {
		live[row.TenantID] = append(live[row.TenantID], row.Epoch.UTC())
	}
	return live, nil
}
