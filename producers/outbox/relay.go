// Package outbox is the relay that publishes the transactional outbox to
// JetStream stream IDV (DESIGN invariant 7). A state change appends its event
// to the outbox table in its own transaction; once that commits, the relay
// claims unpublished rows in seq order, publishes each with its msg_id as
// Nats-Msg-Id and marks them published in the transaction that claimed them.
//
// Delivery is at least once and JetStream's de-duplication makes it once: a
// relay that dies between publish and commit leaves its rows unpublished, and
// the next publish of the same Nats-Msg-Id is dropped by the stream (within
// the stream's duplicate window). Several relays may run: each claims rows
// with FOR UPDATE SKIP LOCKED, so no row is published by two at once. One
// relay keeps seq order, and so the order of each session's events; a failed
// publish ends the batch there and nothing after it goes out before it does.
//
// The relay wakes on NOTIFY idv_outbox (a trigger on insert sends it) and
// polls as a fallback; it deletes published rows after a retention.
package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/postgres"
)

// Relay publishes outbox rows. Run it once.
type Relay struct {
	db          *sqlx.DB
	listenerURL string
	pub         Publisher
	log         *slog.Logger
	m           *Metrics
	cfg         Config

	listenUp      atomic.Bool   // LISTEN is in place
	listening     chan struct{} // closed after the first drain begun with LISTEN in place
	listeningOnce sync.Once
}

// New returns a relay over the outbox of db that publishes through pub.
// listenerURL is the database URL for the dedicated LISTEN connection; empty
// means poll only. A nil m is replaced by unregistered metrics, a nil log by
// one that discards.
func New(db *sqlx.DB, listenerURL string, pub Publisher, log *slog.Logger, m *Metrics, cfg Config) *Relay {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	return &Relay{
		db:          db,
		listenerURL: listenerURL,
		pub:         pub,
		log:         log,
		m:           m,
		cfg:         cfg.withDefaults(),
		listening:   make(chan struct{}),
	}
}

// Run relays until ctx ends, then finishes the batch in hand and returns nil.
// Database and broker failures are logged and retried with backoff; they do
// not end Run.
func (r *Relay) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	wake := make(chan struct{}, 1)
	if r.listenerURL != "" {
		stop := r.listen(wake)
		defer stop()
	}
	wg.Go(func() { r.prune(ctx) })

	failures := 0
	for {
		listened := r.listenUp.Load()
		err := r.drain(ctx)
		r.observe(ctx)
		if listened && err == nil {
			// Everything committed before LISTEN is out; from here on
			// every committed insert notifies us.
			r.listeningOnce.Do(func() { close(r.listening) })
		}
		wait := r.cfg.PollInterval
		if err != nil {
			failures++
			wait = backoff(r.cfg.MinBackoff, r.cfg.MaxBackoff, failures)
			r.log.Warn("outbox: relay failed, retrying", "err", err, "failures", failures, "retry_in", wait)
		} else {
			failures = 0
		}
		timer := time.NewTimer(wait)
		if err != nil {
			// A notification must not cut the backoff short, or a busy
			// database would hammer a broker that is down.
			select {
			case <-ctx.Done():
			case <-timer.C:
			}
		} else {
			select {
			case <-ctx.Done():
			case <-wake:
			case <-timer.C:
			}
		}
		timer.Stop()
		if ctx.Err() != nil {
			return nil
		}
	}
}

// drain publishes batches until one comes back short or fails.
func (r *Relay) drain(ctx context.Context) error {
	for ctx.Err() == nil {
		n, err := r.batch(ctx)
		if err != nil || n < r.cfg.BatchSize {
			return err
		}
	}
	return nil
}

// batch claims up to BatchSize rows, publishes them in order until one
// fails, marks the published ones and commits. It returns how many rows it
// claimed. It runs to its end even when ctx ends meanwhile, so that rows
// already published are also marked.
func (r *Relay) batch(ctx context.Context) (int, error) {
	bctx := context.WithoutCancel(ctx)
	tx, err := postgres.BeginOutboxClaim(bctx, r.db)
	if err != nil {
		return 0, fmt.Errorf("outbox: begin: %w", err)
	}
	defer tx.Rollback()
	rows, err := postgres.ClaimUnpublished(bctx, tx, r.cfg.BatchSize)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	published := make([]int64, 0, len(rows))
	var perr error
	for _, row := range rows {
		if err := r.publish(bctx, row); err != nil {
			// Stop here: publishing the rows after it would put them ahead
			// of it in the stream.
			r.m.publishErrors.Inc()
			perr = fmt.Errorf("outbox: publish seq %d (%s): %w", row.Seq, row.MsgID, err)
			break
		}
		published = append(published, row.Seq)
	}
	if len(published) == 0 {
		return len(rows), perr
	}
	if err := postgres.MarkPublished(bctx, tx, published); err != nil {
		return len(rows), err
	}
	if err := tx.Commit(); err != nil {
		return len(rows), fmt.Errorf("outbox: commit: %w", err)
	}
	r.m.published.Add(float64(len(published)))
	return len(rows), perr
}

func (r *Relay) publish(ctx context.Context, row postgres.OutboxRow) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.PublishTimeout)
	defer cancel()
	return r.pub.Publish(ctx, broker.Message{
		Subject: row.Subject,
		Type:    row.Type,
		MsgID:   row.MsgID,
		Time:    row.CreatedAt,
		Body:    row.Body,
	})
}

// observe updates the backlog gauges.
func (r *Relay) observe(ctx context.Context) {
	st, err := postgres.OutboxStats(ctx, r.db)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("outbox: read backlog", "err", err)
		}
		return
	}
	r.m.pending.Set(float64(st.Pending))
	r.m.lag.Set(st.Lag.Seconds())
}

// prune deletes published rows past the retention every PruneInterval, in
// short transactions, until ctx ends.
func (r *Relay) prune(ctx context.Context) {
	t := time.NewTicker(r.cfg.PruneInterval)
	defer t.Stop()
	for {
		var total int64
		for ctx.Err() == nil {
			n, err := postgres.PruneOutbox(ctx, r.db, r.cfg.Retention, r.cfg.PruneBatch)
			total += n
			if err != nil {
				if ctx.Err() == nil {
					r.log.Warn("outbox: prune", "err", err)
				}
				break
			}
			if n < int64(r.cfg.PruneBatch) {
				break
			}
		}
		if total > 0 {
			r.log.Debug("outbox: pruned published rows", "rows", total)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
