// Package outbox is the relay that publishes the transactional outbox to
// JetStream stream IDV (docs/design.md invariant 7). A state change appends its event
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
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/idv-oss/idv"
)

// Relay publishes outbox rows. Run it once.
type Relay struct {
	store idv.OutboxStore
	waker idv.OutboxWaker // nil: poll only
	pub   Publisher
	log   *slog.Logger
	m     *Metrics
	cfg   Config

	listenUp      atomic.Bool   // LISTEN is in place
	listening     chan struct{} // closed after the first drain begun with LISTEN in place
	listeningOnce sync.Once
}

// New returns a relay over the outbox store that publishes through pub.
// waker tells it of appends (nil: it polls only). A nil m is replaced by
// unregistered metrics, a nil log by one that discards.
func New(store idv.OutboxStore, waker idv.OutboxWaker, pub Publisher, log *slog.Logger, m *Metrics, cfg Config) *Relay {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	return &Relay{
		store:     store,
		waker:     waker,
		pub:       pub,
		log:       log,
		m:         m,
		cfg:       cfg.withDefaults(),
		listening: make(chan struct{}),
	}
}

// Run relays until ctx ends, then finishes the batch in hand and returns nil.
// Database and broker failures are logged and retried with backoff; they do
// not end Run.
func (r *Relay) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	wake := make(chan struct{}, 1)
	if r.waker != nil {
		stop := r.waker.Listen(func() {
			select {
			case wake <- struct{}{}:
			default: // a wake is pending already; the drain it causes covers this one
			}
		}, func() { r.listenUp.Store(true) })
		defer stop()
	}
	wg.Go(func() { r.prune(ctx) })
	wg.Go(func() { r.watchBacklog(ctx) })

	failures := 0
	for {
		listened := r.listenUp.Load()
		err := r.drain(ctx)
		if listened && err == nil {
			// Everything committed before LISTEN is out; from here on
			// every committed insert notifies us.
			r.listeningOnce.Do(func() { close(r.listening) })
		}
		wait := r.cfg.PollInterval
		if err != nil {
			failures++
			r.m.failures.Inc()
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
	claimed, published, err := r.store.PublishBatch(bctx, r.cfg.BatchSize, r.publish)
	r.m.published.Add(float64(published))
	return claimed, err
}

func (r *Relay) publish(ctx context.Context, row idv.OutboxRow) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.PublishTimeout)
	defer cancel()
	err := r.pub.Publish(ctx, idv.Message{
		Subject: row.Subject,
		Type:    row.Type,
		MsgID:   row.MsgID,
		Time:    row.CreatedAt,
		Body:    row.Body,
	})
	if err != nil {
		r.m.publishErrors.Inc()
	}
	return err
}

// watchBacklog updates the backlog gauges every StatsInterval until ctx
// ends.
func (r *Relay) watchBacklog(ctx context.Context) {
	t := time.NewTicker(r.cfg.StatsInterval)
	defer t.Stop()
	for {
		r.observe(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// observe updates the backlog gauges.
func (r *Relay) observe(ctx context.Context) {
	st, err := r.store.Stats(ctx)
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
			n, err := r.store.Prune(ctx, r.cfg.Retention, r.cfg.PruneBatch)
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
