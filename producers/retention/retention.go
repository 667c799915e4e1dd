// Package retention is the scheduled producer that keeps personal data from
// outliving its deadline (docs/design.md invariant 3). Every round it
//
//  1. requests the wipe of every session whose expires_at has come,
//     whatever its status, by appending idv.session.expired through the
//     outbox (the wipe stage does the wiping);
//  2. destroys the epoch key of every passed expiry hour once no session key
//     wrapped under it is left in the main database, so that minutes after a
//     deadline no copy of that hour's keys, backups included, can be opened;
//  3. reports how far behind deletion is: idv_retention_overdue_sessions must
//     read 0, and idv_retention_oldest_personal_data_seconds never exceeds
//     the 28-day cap.
//
// Any number of replicas may run: claims take row locks with SKIP LOCKED, and
// destroying an epoch key is idempotent. A failed step is logged, counted and
// retried next round; it never stops the others.
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv"
)

// Store is what the sweeper needs of the main database;
// *postgres.Retention is one.
type Store interface {
	ClaimExpired(ctx context.Context, now time.Time, limit int, ev idv.SweepEvents) (int, error)
	RerequestStuck(ctx context.Context, now, requestedBefore time.Time, limit int, ev idv.SweepEvents) (int, error)
	DecideLate(ctx context.Context, now, before time.Time, limit int, ev idv.SweepEvents) (int, error)
	Overdue(ctx context.Context, now time.Time) (overdue int, oldest time.Time, err error)
	LiveEpochs(ctx context.Context) (map[uuid.UUID][]time.Time, error)
}

// Keys is what the sweeper needs of the key vault; *vault.Vault is one.
type Keys interface {
	Epochs(ctx context.Context, before time.Time) ([]idv.Epoch, error)
	DestroyEpoch(ctx context.Context, tenantID uuid.UUID, epoch time.Time) error
}

// Deps are the sweeper's parts.
type Deps struct {
	Store   Store
	Keys    Keys
	Now     func() time.Time // time.Now when nil; tests move it
	Log     *slog.Logger     // discarded when nil
	Metrics *Metrics         // unregistered when nil
}

// Sweeper runs retention rounds. It is safe for concurrent use.
type Sweeper struct {
	store Store
	keys  Keys
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
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	if deps.Metrics == nil {
		deps.Metrics = NewMetrics(nil)
	}
	return &Sweeper{store: deps.Store, keys: deps.Keys, now: deps.Now, log: deps.Log, m: deps.Metrics,
		cfg: cfg.withDefaults()}
}

// Round is what one round did and saw.
type Round struct {
	Claimed         int       // sessions whose wipe this round requested
	Rerequested     int       // unfinished wipes this round asked for again
	DecidedLate     int       // sessions decided review because a check missed the deadline
	EpochsDestroyed int       // epoch keys this round destroyed
	Overdue         int       // sessions past their deadline not yet deleted, after claiming
	Oldest          time.Time // created_at of the oldest session not yet deleted; zero when none
}

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

// RunOnce runs one round: claims expired sessions batch by batch until a
// batch comes back short, destroys the epoch keys that are due, then reads
// the overdue figures into the gauges. Each step runs even if an earlier one
// failed; the error joins those of every failed step, and the Round counts
// what was done regardless.
func (s *Sweeper) RunOnce(ctx context.Context) (Round, error) {
	start := time.Now()
	defer func() { s.m.duration.Observe(time.Since(start).Seconds()) }()
	now := s.now().UTC()
	var (
		rd   Round
		errs []error
	)
	fail := func(err error) {
		if ctx.Err() == nil { // shutting down is no failure
			s.m.errors.Inc()
		}
		errs = append(errs, err)
	}

	for ctx.Err() == nil {
		n, err := s.store.ClaimExpired(ctx, now, s.cfg.BatchSize, idv.Sweep)
		rd.Claimed += n
		s.m.claimed.Add(float64(n))
		if err != nil {
			fail(err)
			break
		}
		if n < s.cfg.BatchSize {
			break
		}
	}
	if rd.Claimed > 0 {
		s.log.Info("retention: wipe requested for expired sessions", "sessions", rd.Claimed)
	}
	// Two steps of one shape, each one batch of sessions older than age.
	// A check that never reports (its stage is down or cannot run here)
	// must not leave a session waiting: past the deadline it is decided
	// review. A wipe's deliveries span about two and a half hours
	// (infra/broker); one still unfinished after StuckAfter is asked for
	// again.
	for _, step := range []struct {
		run   func(ctx context.Context, now, before time.Time, limit int, ev idv.SweepEvents) (int, error)
		age   time.Duration
		done  *int
		count prometheus.Counter
		warn  string
	}{
		{s.store.DecideLate, s.cfg.DecisionDeadline, &rd.DecidedLate, s.m.late,
			"retention: sessions decided review after a check missed the decision deadline"},
		{s.store.RerequestStuck, s.cfg.StuckAfter, &rd.Rerequested, s.m.rerequested,
			"retention: wipes asked for again after they did not finish"},
	} {
		n, err := step.run(ctx, now, now.Add(-step.age), s.cfg.BatchSize, idv.Sweep)
		*step.done = n
		step.count.Add(float64(n))
		if err != nil {
			fail(err)
		} else if n > 0 {
			s.log.Warn(step.warn, "sessions", n)
		}
	}

	destroyed, sweepErrs := s.sweepEpochs(ctx, now)
	rd.EpochsDestroyed = destroyed
	for _, err := range sweepErrs {
		fail(err)
	}

	overdue, oldest, err := s.store.Overdue(ctx, now)
	if err != nil {
		fail(err)
	} else {
		rd.Overdue, rd.Oldest = overdue, oldest
		s.m.overdue.Set(float64(overdue))
		age := 0.0
		if !oldest.IsZero() {
			age = max(now.Sub(oldest).Seconds(), 0)
		}
		s.m.oldest.Set(age)
	}
	if err := errors.Join(errs...); err != nil {
		return rd, fmt.Errorf("retention: round: %w", err)
	}
	return rd, nil
}

// epochKey identifies an epoch independently of how its time was read.
type epochKey struct {
	tenant uuid.UUID
	hour   int64 // Unix seconds
}

// sweepEpochs destroys every live epoch key whose hour is at or before now
// and under which no session key is stored any more, and returns how many it
// destroyed. Listing the candidates before reading the live epochs means a
// candidate can only have gained a session key meanwhile by a rewrap to an
// hour already past, whose key is due for shredding anyway.
func (s *Sweeper) sweepEpochs(ctx context.Context, now time.Time) (int, []error) {
	due, err := s.keys.Epochs(ctx, now)
	if err != nil {
		return 0, []error{err}
	}
	if len(due) == 0 {
		return 0, nil
	}
	liveByTenant, err := s.store.LiveEpochs(ctx)
	if err != nil {
		return 0, []error{err}
	}
	live := make(map[epochKey]bool)
	for tenant, hours := range liveByTenant {
		for _, h := range hours {
			live[epochKey{tenant, idv.EpochOf(h).Unix()}] = true
		}
	}
	var (
		destroyed int
		errs      []error
	)
	for _, e := range due {
		if live[epochKey{e.TenantID, idv.EpochOf(e.Hour).Unix()}] {
			continue // a session of that hour still awaits its wipe; the overdue gauge shows it
		}
		if err := s.keys.DestroyEpoch(ctx, e.TenantID, e.Hour); err != nil {
			errs = append(errs, err)
			continue
		}
		destroyed++
		s.m.destroyed.Inc()
		s.log.Info("retention: epoch key destroyed", "tenant_id", e.TenantID, "epoch", e.Hour.Format(time.RFC3339))
	}
	return destroyed, errs
}
