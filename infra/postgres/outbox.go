package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

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
		ev.TenantID, ev.MsgID, ev.Type, ev.Subject, string(body))
	if err != nil {
		return false, fmt.Errorf("outbox: append %s: %w", ev.Type, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// outboxFields points at an outbox row's fields in the order of the
// columns seq, tenant_id, msg_id, type, subject, body, created_at.
func outboxFields(r *idv.OutboxRow) []any {
	return []any{&r.Seq, &r.TenantID, &r.MsgID, &r.Type, &r.Subject, &r.Body, &r.CreatedAt}
}

// Outbox is the relay's side of the outbox (idv.OutboxStore). It works in
// the system scope: the outbox holds every tenant's events.
type Outbox struct{ db *sqlx.DB }

// NewOutbox returns the relay's store over db.
func NewOutbox(db *sql.DB) *Outbox { return &Outbox{db: wrap(db)} }

// PublishBatch claims up to limit unpublished rows in seq order, skipping
// rows another relay holds (FOR UPDATE SKIP LOCKED, so several relays share
// the backlog without publishing a row twice at the same time), hands them
// to publish in order until it fails, and marks the rows it published
// published in the claiming transaction. It returns how many rows it
// claimed and published, and publish's error.
func (o *Outbox) PublishBatch(ctx context.Context, limit int, publish func(context.Context, idv.OutboxRow) error) (claimed, published int, err error) {
	tx, err := beginScoped(ctx, o.db, systemScope, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("outbox: begin: %w", err)
	}
	defer tx.Rollback()
	rows, err := scanRows(ctx, tx, outboxFields, `SELECT seq, tenant_id, msg_id, type, subject, body, created_at
		FROM outbox WHERE published_at IS NULL
		ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`, limit)
	if err != nil {
		return 0, 0, fmt.Errorf("outbox: claim: %w", err)
	}
	seqs := make([]int64, 0, len(rows))
	var perr error
	for _, row := range rows {
		if perr = publish(ctx, row); perr != nil {
			perr = fmt.Errorf("outbox: publish seq %d (%s): %w", row.Seq, row.MsgID, perr)
			break
		}
		seqs = append(seqs, row.Seq)
	}
	if len(seqs) == 0 {
		return len(rows), 0, perr
	}
	if err := markPublished(ctx, tx, seqs); err != nil {
		return len(rows), 0, err
	}
	if err := tx.Commit(); err != nil {
		return len(rows), 0, fmt.Errorf("outbox: commit: %w", err)
	}
	return len(rows), len(seqs), perr
}

// markPublished records the rows seqs as published inside tx, which must be
// the transaction that claimed them.
func markPublished(ctx context.Context, tx *sqlx.Tx, seqs []int64) error {
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

// Prune deletes at most limit rows published more than olderThan ago (by
// the database's clock) and returns how many it deleted. Call it until it
// returns fewer than limit; each call is one short transaction.
func (o *Outbox) Prune(ctx context.Context, olderThan time.Duration, limit int) (int64, error) {
	res, err := scopedExec(ctx, o.db, systemScope, `DELETE FROM outbox WHERE seq IN (
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

// Stats reads the backlog of every tenant. The oldest row is the lowest
// seq, which the partial index finds at once; a transaction that ran long
// before appending can hold an older created_at further on, which the
// figure ignores.
func (o *Outbox) Stats(ctx context.Context) (idv.OutboxStat, error) {
	var row struct {
		Pending int64   `db:"pending"`
		Lag     float64 `db:"lag"`
	}
	if err := scopedGet(ctx, o.db, systemScope, &row, `SELECT
		(SELECT count(*) FROM outbox WHERE published_at IS NULL) AS pending,
		COALESCE(EXTRACT(EPOCH FROM clock_timestamp() -
			(SELECT created_at FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT 1)), 0)::float8 AS lag`); err != nil {
		return idv.OutboxStat{}, fmt.Errorf("outbox: stats: %w", err)
	}
	return idv.OutboxStat{Pending: row.Pending, Lag: time.Duration(max(row.Lag, 0) * float64(time.Second))}, nil
}
