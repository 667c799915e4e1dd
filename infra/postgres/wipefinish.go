package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// A FinishWipe batch in a fixed number of statements, whatever its size
// (issue 20: the wipe). The batch's transaction used to run each wipe's
// statements one after another in a savepoint of its own (four round trips
// a wipe, all while the tenant's batches queue behind it); now it locks and
// checks every session of the batch in one statement and writes the rows,
// tombstones, receipts and events of those that pass in one more. A wipe
// whose check fails gets its error with nothing of it written, as before.

// finishState is a session's wipe state as the batch reads it under its
// row lock.
type finishState struct {
	requested, keyDestroyed, deleted bool
	keys, captures                   int
}

// finishTogether finishes the wipes of batch within tx: it locks and reads
// their sessions, sets outcome[i] for each wipe that cannot finish, writes
// the others and returns their audit entries. An error fails the batch.
func finishTogether(ctx context.Context, tx *sqlx.Tx, tenantID uuid.UUID, batch []*finishReq, outcome []error) ([]idv.AuditEntry, error) {
	ids := make([]uuid.UUID, len(batch))
	for i, req := range batch {
		ids[i] = req.id
	}
	states, err := lockFinishing(ctx, tx, tenantID, ids)
	if err != nil {
		return nil, err
	}
	var (
		cols    finishColumns
		entries []idv.AuditEntry
		going   = map[uuid.UUID]bool{}
	)
	for i, req := range batch {
		// A wipe delivered twice into one batch: the first that can finish
		// does; the later ones find it wiped before, as they would in the
		// next transaction.
		if going[req.id] {
			outcome[i] = fmt.Errorf("wipes: session %s: %w", req.id, idv.ErrWipedBefore)
			continue
		}
		st, found := states[req.id]
		if !found {
			outcome[i] = fmt.Errorf("wipes: session %s: %w", req.id, idv.ErrNotFound)
			continue
		}
		if outcome[i] = st.refuse(req.id, req.r); outcome[i] != nil {
			continue
		}
		going[req.id] = true
		if err := cols.add(req); err != nil {
			return nil, err
		}
		entries = append(entries, idv.AuditEntry{TenantID: tenantID, At: req.at, Actor: req.actor,
			Action: idv.AuditDataDeleted, SessionID: req.id,
			Detail: map[string]string{"receipt_id": req.r.ID.String(), "captures": strconv.Itoa(req.r.Captures)}})
	}
	if len(entries) == 0 {
		return nil, nil
	}
	deleted, err := writeFinished(ctx, tx, tenantID, cols)
	if err != nil {
		return nil, err
	}
	// The rows are locked, and captures are declared only under the same
	// lock (lockOpen), so the count read is the count deleted; should it
	// ever differ, the batch fails and each of its wipes is retried.
	for _, id := range cols.ids {
		if want := states[id].captures; deleted[id] != want {
			return nil, fmt.Errorf("wipes: session %s: deleted %d captures, read %d under the lock: %w", id, deleted[id], want, idv.ErrConflict)
		}
	}
	return entries, nil
}

// refuse is why the wipe of session id with receipt r cannot finish, or
// nil: nothing is destroyed without a wipe request, a session is finished
// once, its key goes first, and a receipt states the true count.
func (st finishState) refuse(id uuid.UUID, r idv.Receipt) error {
	switch {
	case !st.requested:
		return fmt.Errorf("wipes: session %s: no wipe requested: %w", id, idv.ErrConflict)
	case st.deleted:
		return fmt.Errorf("wipes: session %s: %w", id, idv.ErrWipedBefore)
	case !st.keyDestroyed:
		return fmt.Errorf("wipes: session %s: key not destroyed yet: %w", id, idv.ErrConflict)
	case st.keys != 0:
		return fmt.Errorf("wipes: session %s: key destruction recorded but its key row exists: %w", id, idv.ErrConflict)
	case st.captures != r.Captures:
		return fmt.Errorf("wipes: session %s has %d captures, the receipt states %d: %w", id, st.captures, r.Captures, idv.ErrConflict)
	}
	return nil
}

// lockFinishing locks the tenant's sessions ids for the rest of tx, in one
// order (so two batches never wait on each other crosswise), and reads
// their wipe states; a session the tenant does not have is absent.
func lockFinishing(ctx context.Context, tx *sqlx.Tx, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]finishState, error) {
	rows, err := tx.QueryContext(ctx, `SELECT s.session_id, s.wipe_requested_at IS NOT NULL,
			s.key_destroyed_at IS NOT NULL, s.deleted_at IS NOT NULL,
			(SELECT count(*) FROM session_keys k WHERE k.session_id = s.session_id AND k.tenant_id = s.tenant_id),
			(SELECT count(*) FROM captures c WHERE c.session_id = s.session_id AND c.tenant_id = s.tenant_id)
		FROM sessions s WHERE s.tenant_id = $1 AND s.session_id = ANY($2)
		ORDER BY s.session_id FOR UPDATE OF s`, tenantID, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("wipes: lock %d sessions: %w", len(ids), err)
	}
	defer rows.Close()
	states := make(map[uuid.UUID]finishState, len(ids))
	for rows.Next() {
		var id uuid.UUID
		var st finishState
		if err := rows.Scan(&id, &st.requested, &st.keyDestroyed, &st.deleted, &st.keys, &st.captures); err != nil {
			return nil, fmt.Errorf("wipes: lock %d sessions: %w", len(ids), err)
		}
		states[id] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("wipes: lock %d sessions: %w", len(ids), err)
	}
	return states, nil
}

// finishColumns are the wipes that finish, as the columns of writeFinished's
// array parameters: each wipe's session, time and receipt, and its event.
type finishColumns struct {
	ids                                   []uuid.UUID
	at                                    []string
	receipts                              []uuid.UUID
	statements, signatures                [][]byte
	keyIDs, msgIDs, types, subjects, body []string
}

func (c *finishColumns) add(req *finishReq) error {
	body, err := json.Marshal(req.ev.Body)
	if err != nil {
		return fmt.Errorf("outbox: encode %s: %w", req.ev.Type, err)
	}
	c.ids, c.at = append(c.ids, req.id), append(c.at, req.at.Format(time.RFC3339Nano))
	c.receipts, c.keyIDs = append(c.receipts, req.r.ID), append(c.keyIDs, req.r.KeyID)
	c.statements, c.signatures = append(c.statements, req.r.Statement), append(c.signatures, req.r.Signature)
	c.msgIDs, c.types = append(c.msgIDs, req.ev.MsgID), append(c.types, req.ev.Type)
	c.subjects, c.body = append(c.subjects, req.ev.Subject), append(c.body, string(body))
	return nil
}

// writeFinished deletes the captures and attempt challenges of the
// sessions in c, clears their check results' sealed fields, turns their
// rows into tombstones, stores their receipts and appends their events to
// the outbox, in one statement, and returns how many captures rows it
// deleted of each.
func writeFinished(ctx context.Context, tx *sqlx.Tx, tenantID uuid.UUID, c finishColumns) (map[uuid.UUID]int, error) {
	rows, err := tx.QueryContext(ctx, `WITH w AS (
			SELECT * FROM unnest($2::uuid[], $3::timestamptz[], $4::uuid[], $5::bytea[], $6::bytea[], $7::text[])
				AS w(session_id, at, receipt_id, statement, signature, key_id)
		), fields AS (
			UPDATE check_results SET fields_sealed = NULL WHERE tenant_id = $1 AND session_id = ANY($2)
		), caps AS (
			DELETE FROM captures WHERE tenant_id = $1 AND session_id = ANY($2) RETURNING session_id
		), challenges AS (
			DELETE FROM attempt_challenges WHERE tenant_id = $1 AND session_id = ANY($2)
		), tombs AS (
			UPDATE sessions s SET status = 'deleted', deleted_at = w.at FROM w
			WHERE s.tenant_id = $1 AND s.session_id = w.session_id
		), receipts AS (
			INSERT INTO deletion_receipts (receipt_id, tenant_id, session_id, statement, signature, key_id, created_at)
			SELECT receipt_id, $1, session_id, statement, signature, key_id, at FROM w
		), events AS (
			INSERT INTO outbox (tenant_id, msg_id, type, subject, body)
			SELECT $1, e.* FROM unnest($8::text[], $9::text[], $10::text[], $11::jsonb[]) AS e
			ON CONFLICT (msg_id) DO NOTHING
		)
		SELECT session_id, count(*) FROM caps GROUP BY session_id`,
		tenantID, pq.Array(c.ids), pq.Array(c.at), pq.Array(c.receipts), pq.ByteaArray(c.statements),
		pq.ByteaArray(c.signatures), pq.Array(c.keyIDs), pq.Array(c.msgIDs), pq.Array(c.types),
		pq.Array(c.subjects), pq.Array(c.body))
	if err != nil {
		return nil, fmt.Errorf("wipes: delete rows of %d sessions and store their receipts: %w", len(c.ids), err)
	}
	defer rows.Close()
	deleted := make(map[uuid.UUID]int, len(c.ids))
	for rows.Next() {
		var id uuid.UUID
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("wipes: delete rows of %d sessions: %w", len(c.ids), err)
		}
		deleted[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("wipes: delete rows of %d sessions: %w", len(c.ids), err)
	}
	return deleted, nil
}
