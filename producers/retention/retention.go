// Package retention is the scheduled producer that keeps personal data from
// outliving its deadline (docs/design.md invariant 3). Every round it
//
//  1. requests the wipe of every session whose expires_at has come,
//     whatever its status, by appending idv.session.expired through the
//     outbox (the wipe stage does the wiping);
//  2. destroys the epoch key of every passed expiry hour once no session key
//     wrapped under it is left in the main database, so that minutes after a
//     deadline no copy of that hour's keys, backups included, can be opened,
//     and then purges the destroyed keys' bytes from the key store's pages;
//  3. reports how far behind deletion is: idv_retention_overdue_sessions must
//     read 0, and idv_retention_oldest_personal_data_seconds never exceeds
//     the 28-day cap.
//
// Being the one job that runs across tenants on a schedule, it also signs
// the periodic audit checkpoints that are due (idv.PeriodicCheckpoints):
// the head of each tenant's audit chain that grew since its last one, once
// CheckpointInterval has passed, stored with its idv.audit.checkpoint event
// for the audit.checkpoint webhook.
//
// Any number of replicas may run: claims take row locks with SKIP LOCKED, and
// destroying an epoch key is idempotent. A failed step is logged, counted and
// retried next round; it never stops the others.
package retention

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/idv-oss/idv"
)

// Deps are the sweeper's parts.
type Deps struct {
	Store idv.RetentionStore
	Keys  idv.EpochKeys
	// Checkpoints, Heads and Sign (the audit signing key's signer) sign and
	// store the periodic audit checkpoints; without Checkpoints the sweeper
	// signs none.
	Checkpoints idv.CheckpointStore
	Heads       idv.AuditHeads
	Sign        idv.StatementSigner
	Now         func() time.Time // time.Now when nil; tests move it
	Log         *slog.Logger     // discarded when nil
	Metrics     *Metrics         // unregistered when nil
}

// Sweeper runs retention rounds. It is safe for concurrent use.
type Sweeper struct {
	sweep idv.Retention
	now   func() time.Time
	log   *slog.Logger
	m     *Metrics
	cfg   Config
}

// New returns a sweeper over its parts.
func New(deps Deps, cfg Config) *Sweeper {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	deps.Log = cmp.Or(deps.Log, slog.New(slog.DiscardHandler))
	deps.Metrics = cmp.Or(deps.Metrics, NewMetrics(nil))
	cfg = cfg.withDefaults()
	sweep := idv.Retention{Store: deps.Store, Keys: deps.Keys, BatchSize: cfg.BatchSize,
		DecisionDeadline: cfg.DecisionDeadline, StuckAfter: cfg.StuckAfter, TailAfter: cfg.TailAfter}
	if deps.Checkpoints != nil {
		sweep.Checkpoints = &idv.PeriodicCheckpoints{Store: deps.Checkpoints, Heads: deps.Heads, Sign: deps.Sign,
			Interval: cfg.CheckpointInterval, BatchSize: cfg.BatchSize}
	}
	return &Sweeper{sweep: sweep, now: deps.Now, log: deps.Log, m: deps.Metrics, cfg: cfg}
}

// Round is what one round did and saw (the core's sweep).
type Round = idv.Swept

// Run runs a round at once and then every Interval until ctx ends, and
// returns nil then. A failed round is logged and counted; the next one
// retries.
func (s *Sweeper) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("retention: round failed, retrying next round", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunOnce runs one round (idv.Retention.Sweep, then the key store's
// PurgeDestroyed when Keys has it) and reads what it did and
// saw into the metrics: counters as each step goes, the overdue gauges at
// the end. A failed step is counted (unless the round is shutting down)
// and its error joined into RunOnce's.
func (s *Sweeper) RunOnce(ctx context.Context) (Round, error) {
	start := time.Now()
	defer func() { s.m.duration.Observe(time.Since(start).Seconds()) }()
	now := s.now().UTC().Truncate(time.Microsecond) // as stored
	rd, err := s.sweep.Sweep(ctx, now, observer{ctx: ctx, s: s})
	// A destroyed key's old row version stays in the key store's pages
	// until purged; each round purges what it, earlier rounds or an
	// offboarding left.
	if p, ok := s.sweep.Keys.(purger); ok {
		if purged, perr := p.PurgeDestroyed(ctx); perr != nil {
			observer{ctx: ctx, s: s}.Failed(perr)
			err = errors.Join(err, perr)
		} else if purged {
			s.log.Info("retention: destroyed epoch keys purged from the key store's pages")
		}
	}
	if rd.Claimed > 0 {
		s.log.Info("retention: wipe requested for expired sessions", "sessions", rd.Claimed)
	}
	if rd.DecidedLate > 0 {
		s.log.Warn("retention: sessions decided review after a check missed the decision deadline", "sessions", rd.DecidedLate)
	}
	if rd.Checkpoints > 0 {
		s.log.Info("retention: periodic audit checkpoints signed", "tenants", rd.Checkpoints)
	}
	if rd.Rerequested > 0 {
		s.log.Warn("retention: wipes asked for again after they did not finish", "sessions", rd.Rerequested)
	}
	if rd.OverdueRead {
		s.m.overdue.Set(float64(rd.Overdue))
		age := 0.0
		if !rd.Oldest.IsZero() {
			age = max(now.Sub(rd.Oldest).Seconds(), 0)
		}
		s.m.oldest.Set(age)
	}
	return rd, err
}

// purger is Keys that also removes destroyed keys' bytes from its storage
// (vault.Vault.PurgeDestroyed).
type purger interface {
	PurgeDestroyed(ctx context.Context) (bool, error)
}

// observer counts a round's steps into the sweeper's metrics.
type observer struct {
	ctx context.Context
	s   *Sweeper
}

func (o observer) Claimed(n int)     { o.s.m.claimed.Add(float64(n)) }
func (o observer) DecidedLate(n int) { o.s.m.late.Add(float64(n)) }
func (o observer) Rerequested(n int) { o.s.m.rerequested.Add(float64(n)) }

func (o observer) TailRequested(n int) { o.s.m.tails.Add(float64(n)) }

func (o observer) Checkpointed(n int) { o.s.m.checkpoints.Add(float64(n)) }

func (o observer) EpochDestroyed(e idv.Epoch) {
	o.s.m.destroyed.Inc()
	o.s.log.Info("retention: epoch key destroyed", "tenant_id", e.TenantID, "epoch", e.Hour.Format(time.RFC3339))
}

func (o observer) Failed(error) {
	if o.ctx.Err() == nil { // shutting down is no failure
		o.s.m.errors.Inc()
	}
}
