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
// reads every session of the batch in one statement (lockWipeTargets) and
// writes the rows, tombstones, receipts and events of those that pass their
// checks in one more. A wipe whose check fails gets its error with nothing
// of it written, as before.

// finishTogether finishes the wipes of batch within tx: it locks and reads
// their sessions, sets outcome[i] for each wipe that cannot finish, writes
// the others and returns their audit entries. An error fails the batch.
func finishTogether(ctx context.Context, tx *sqlx.Tx, tenantID uuid.UUID, batch []*finishReq, outcome []error) ([]idv.AuditEntry, error) {
	ids := make([]uuid.UUID, len(batch))
	for i, req := range batch {
		ids[i] = req.id
	}
	targets, err := lockWipeTargets(ctx, tx, tenantID, ids)
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
		t, found := targets[req.id]
		if !found {
			outcome[i] = fmt.Errorf("wipes: session %s: %w", req.id, idv.ErrNotFound)
			continue
		}
		if outcome[i] = refuseFinish(t, req.r); outcome[i] != nil {
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
	written, err := writeFinished(ctx, tx, tenantID, cols)
	if err != nil {
		return nil, err
	}
	// The rows are locked, captures are declared only under the same lock
	// (lockOpen) and a key row goes with key_destroyed_at's record
	// (destroyKeys), so neither check below can fail; should one ever, the
	// batch fails and each of its wipes is retried.
	for _, id := range cols.ids {
		w := written[id]
		if w.keys != 0 {
			return nil, fmt.Errorf("wipes: session %s: key destruction recorded but its key row exists: %w", id, idv.ErrConflict)
		}
		if want := targets[id].Captures; w.captures != want {
			return nil, fmt.Errorf("wipes: session %s: deleted %d captures, read %d under the lock: %w", id, w.captures, want, idv.ErrConflict)
		}
	}
	return entries, nil
}

// refuseFinish is why the wipe of session t with receipt r cannot finish,
// or nil: nothing is destroyed without a wipe request, a session is
// finished once, its key goes first, and a receipt states the true count.
func refuseFinish(t idv.WipeTarget, r idv.Receipt) error {
	switch {
	case t.WipeRequestedAt == nil:
		return fmt.Errorf("wipes: session %s: no wipe requested: %w", t.SessionID, idv.ErrConflict)
	case t.DeletedAt != nil:
		return fmt.Errorf("wipes: session %s: %w", t.SessionID, idv.ErrWipedBefore)
	case t.KeyDestroyedAt == nil:
		return fmt.Errorf("wipes: session %s: key not destroyed yet: %w", t.SessionID, idv.ErrConflict)
	case t.Captures != r.Captures:
		return fmt.Errorf("wipes: session %s has %d captures, the receipt states %d: %w", t.SessionID, t.Captures, r.Captures, idv.ErrConflict)
	}
	return nil
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

// finished is what writeFinished found of one session: how many captures
// rows it deleted, and how many key rows the session still has.
type finished struct{ captures, keys int }

// writeFinished deletes the captures and attempt challenges of the
// sessions in c, clears their check results' sealed fields, turns their
// rows into tombstones, stores their receipts and appends their events to
// the outbox, in one statement, and returns what it found of each.
func writeFinished(ctx context.Context, tx *sqlx.Tx, tenantID uuid.UUID, c finishColumns) (map[uuid.UUID]finished, error) {
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
		SELECT w.session_id, (SELECT count(*) FROM caps WHERE caps.session_id = w.session_id),
			(SELECT count(*) FROM session_keys k WHERE k.tenant_id = $1 AND k.session_id = w.session_id)
		FROM w`,
		tenantID, pq.Array(c.ids), pq.Array(c.at), pq.Array(c.receipts), pq.ByteaArray(c.statements),
		pq.ByteaArray(c.signatures), pq.Array(c.keyIDs), pq.Array(c.msgIDs), pq.Array(c.types),
		pq.Array(c.subjects), pq.Array(c.body))
	if err != nil {
		return nil, fmt.Errorf("wipes: delete rows of %d sessions and store their receipts: %w", len(c.ids), err)
	}
	defer rows.Close()
	out := make(map[uuid.UUID]finished, len(c.ids))
	for rows.Next() {
		var id uuid.UUID
		var f finished
		if err := rows.Scan(&id, &f.captures, &f.keys); err != nil {
			return nil, fmt.Errorf("wipes: delete rows of %d sessions: %w", len(c.ids), err)
		}
		out[id] = f
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("wipes: delete rows of %d sessions: %w", len(c.ids), err)
	}
	return out, nil
}
