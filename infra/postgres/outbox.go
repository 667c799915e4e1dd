package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// OutboxChannel is the LISTEN/NOTIFY channel an insert into the outbox
// notifies (migration 003), so the relay need not poll to stay prompt.
const OutboxChannel = "idv_outbox"

// appendOutbox writes ev inside tx; the relay publishes it after commit.
func appendOutbox(ctx context.Context, tx *sqlx.Tx, ev idv.Event) error {
	_, err := appendOutboxOnce(ctx, tx, ev)
	return err
}

// appendOutboxOnce is appendOutbox reporting whether ev was new: an event
// whose msg id is already in the outbox is not appended again.
func appendOutboxOnce(ctx context.Context, tx *sqlx.Tx, ev idv.Event) (bool, error) {
	body, err := json.Marshal(ev.Body)
	if err != nil {
		return false, fmt.Errorf("outbox: encode %s: %w", ev.Type, err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO outbox (tenant_id, msg_id, type, subject, body)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (msg_id) DO NOTHING`,
		ev.TenantID, ev.MsgID, ev.Type, ev.Subject, body)
	if err != nil {
		return false, fmt.Errorf("outbox: append %s: %w", ev.Type, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// OutboxRow is an outbox row as the relay claims it.
type OutboxRow struct {
	Seq       int64     `db:"seq"`
	TenantID  uuid.UUID `db:"tenant_id"`
	MsgID     string    `db:"msg_id"`
	Type      string    `db:"type"`
	Subject   string    `db:"subject"`
	Body      []byte    `db:"body"` // JSON as jsonb returns it: same value, keys reordered
	CreatedAt time.Time `db:"created_at"`
}

// ClaimUnpublished locks up to limit unpublished rows in seq order and
// returns them. Rows another transaction holds are skipped, not waited for,
// so several relays share the backlog without publishing a row twice at the
// same time; the locks last until tx ends. tx is BeginOutboxClaim's.
func ClaimUnpublished(ctx context.Context, tx *sqlx.Tx, limit int) ([]OutboxRow, error) {
	var rows []OutboxRow
	if err := tx.SelectContext(ctx, &rows, `SELECT seq, tenant_id, msg_id, type, subject, body, created_at
		FROM outbox WHERE published_at IS NULL
		ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`, limit); err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	return rows, nil
}

// MarkPublished records the rows seqs as published inside tx, which must be
// the transaction that claimed them.
func MarkPublished(ctx context.Context, tx *sqlx.Tx, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE outbox SET published_at = clock_timestamp()
		WHERE seq = ANY($1) AND published_at IS NULL`, pq.Array(seqs))
	if err != nil {
		return fmt.Errorf("outbox: mark %d published: %w", len(seqs), err)
	}
	if n, err := res.RowsAffected(); err == nil && n != int64(len(seqs)) {
		return fmt.Errorf("outbox: marked %d of %d rows published: %w", n, len(seqs), idv.ErrConflict)
	}
	return nil
}

// PruneOutbox deletes at most limit rows published more than olderThan ago
// (by the database's clock) and returns how many it deleted. Call it until
// it returns fewer than limit; each call is one short transaction, in the
// system scope (the outbox holds every tenant's events).
func PruneOutbox(ctx context.Context, db *sqlx.DB, olderThan time.Duration, limit int) (int64, error) {
	res, err := scopedExec(ctx, db, systemScope, `DELETE FROM outbox WHERE seq IN (
		SELECT seq FROM outbox WHERE published_at < now() - make_interval(secs => $1)
		ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)`, olderThan.Seconds(), limit)
	if err != nil {
		return 0, fmt.Errorf("outbox: prune: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("outbox: prune: %w", err)
	}
	return n, nil
}

// OutboxStat describes the backlog.
type OutboxStat struct {
	Pending int64         // unpublished rows
	Lag     time.Duration // age of the oldest unpublished row; 0 when none
}

// OutboxStats reads the backlog of every tenant (system scope). The oldest row is the lowest seq, which the
// partial index finds at once; a transaction that ran long before appending
// can hold an older created_at further on, which the figure ignores.
func OutboxStats(ctx context.Context, db *sqlx.DB) (OutboxStat, error) {
	var row struct {
		Pending int64   `db:"pending"`
		Lag     float64 `db:"lag"`
	}
	if err := scopedGet(ctx, db, systemScope, &row, `SELECT
		(SELECT count(*) FROM outbox WHERE published_at IS NULL) AS pending,
		COALESCE(EXTRACT(EPOCH FROM clock_timestamp() -
			(SELECT created_at FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT 1)), 0)::float8 AS lag`); err != nil {
		return OutboxStat{}, fmt.Errorf("outbox: stats: %w", err)
	}
	return OutboxStat{Pending: row.Pending, Lag: time.Duration(max(row.Lag, 0) * float64(time.Second))}, nil
}
