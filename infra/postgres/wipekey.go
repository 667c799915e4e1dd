package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// A DestroySessionKey batch in a fixed number of statements, whatever its
// size (issue 20: the wipe): the batch's sessions locked and read in one,
// the keys of those to destroy deleted and their key_destroyed_at recorded
// in one more, where each wipe took a transaction of its own.

// keyReq is one DestroySessionKey call and, once its batch has committed,
// its result.
type keyReq struct {
	id        uuid.UUID
	at        time.Time
	target    idv.WipeTarget
	destroyed bool
}

// destroyBatch destroys the keys of batch in one transaction and returns
// each call its outcome.
func (s *Wipes) destroyBatch(ctx context.Context, tenantID uuid.UUID, batch []*keyReq) []error {
	outcome := make([]error, len(batch))
	err := inTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		return destroyTogether(ctx, tx, tenantID, batch, outcome)
	})
	return failAll(outcome, err)
}

// destroyTogether is destroyBatch within tx: it sets outcome[i] for each
// call that destroys nothing by error, and each other call's result.
func destroyTogether(ctx context.Context, tx *sqlx.Tx, tenantID uuid.UUID, batch []*keyReq, outcome []error) error {
	ids := make([]uuid.UUID, len(batch))
	for i, req := range batch {
		ids[i] = req.id
	}
	targets, err := lockWipeTargets(ctx, tx, tenantID, ids)
	if err != nil {
		return err
	}
	var destroy []uuid.UUID
	var at []string
	claimed := map[uuid.UUID]bool{}
	for i, req := range batch {
		t, found := targets[req.id]
		switch {
		case !found:
			outcome[i] = fmt.Errorf("wipes: session %s: %w", req.id, idv.ErrNotFound)
		case t.DeletedAt != nil:
			req.target = t
		case t.WipeRequestedAt == nil:
			outcome[i] = fmt.Errorf("wipes: session %s: %w", req.id, idv.ErrNotRequested)
		case !claimed[req.id]:
			claimed[req.id] = true
			destroy, at = append(destroy, req.id), append(at, req.at.Format(time.RFC3339Nano))
		}
	}
	if len(destroy) == 0 {
		return nil
	}
	keys, err := destroyKeys(ctx, tx, tenantID, destroy, at)
	if err != nil {
		return err
	}
	answered := map[uuid.UUID]bool{}
	for i, req := range batch {
		k, ok := keys[req.id]
		if outcome[i] != nil || !ok {
			continue
		}
		req.target = targets[req.id]
		req.target.KeyDestroyedAt = &k.at
		// A call delivered twice into one batch: the first destroyed the
		// key, the later ones find it destroyed, as in the next batch.
		req.destroyed = k.deleted > 0 && !answered[req.id]
		answered[req.id] = true
	}
	return nil
}

// lockWipeTargets locks the tenant's sessions ids for the rest of tx, in one
// order (so two batches never wait on each other crosswise), and reads their
// wipe states; a session the tenant does not have is absent.
func lockWipeTargets(ctx context.Context, tx *sqlx.Tx, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]idv.WipeTarget, error) {
	var rows []wipeTargetRow
	if err := tx.SelectContext(ctx, &rows, wipeTargetSelect+`WHERE s.tenant_id = $1 AND s.session_id = ANY($2)
		ORDER BY s.session_id FOR UPDATE OF s`, tenantID, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("wipes: lock %d sessions: %w", len(ids), err)
	}
	targets := make(map[uuid.UUID]idv.WipeTarget, len(rows))
	for _, row := range rows {
		targets[row.SessionID] = row.target()
	}
	return targets, nil
}

// destroyedKey is what destroyKeys did for one session: the time its key
// destruction is recorded at, and how many key rows it deleted (0 when an
// earlier call had).
type destroyedKey struct {
	at      time.Time
	deleted int
}

// destroyKeys deletes the key rows of the tenant's sessions ids and records
// key_destroyed_at = at (each session's own, unless recorded before), in
// one statement.
func destroyKeys(ctx context.Context, tx *sqlx.Tx, tenantID uuid.UUID, ids []uuid.UUID, at []string) (map[uuid.UUID]destroyedKey, error) {
	rows, err := tx.QueryContext(ctx, `WITH w AS (
			SELECT * FROM unnest($2::uuid[], $3::timestamptz[]) AS w(session_id, at)
		), k AS (
			DELETE FROM session_keys WHERE tenant_id = $1 AND session_id = ANY($2) RETURNING session_id
		)
		UPDATE sessions s SET key_destroyed_at = COALESCE(s.key_destroyed_at, w.at) FROM w
		WHERE s.tenant_id = $1 AND s.session_id = w.session_id
		RETURNING s.session_id, s.key_destroyed_at, (SELECT count(*) FROM k WHERE k.session_id = s.session_id)`,
		tenantID, pq.Array(ids), pq.Array(at))
	if err != nil {
		return nil, fmt.Errorf("wipes: destroy the keys of %d sessions: %w", len(ids), err)
	}
	defer rows.Close()
	out := make(map[uuid.UUID]destroyedKey, len(ids))
	for rows.Next() {
		var id uuid.UUID
		var k destroyedKey
		if err := rows.Scan(&id, &k.at, &k.deleted); err != nil {
			return nil, fmt.Errorf("wipes: destroy the keys of %d sessions: %w", len(ids), err)
		}
		out[id] = k
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("wipes: destroy the keys of %d sessions: %w", len(ids), err)
	}
	return out, nil
}
