package idv

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// The retention sweep keeps personal data from outliving its deadline
// (docs/design.md invariant 3): it requests the wipe of every session whose
// deadline has come, decides review the sessions a check left waiting past
// the decision deadline, asks again for wipes that did not finish, and
// destroys the epoch key of every passed expiry hour once no session key
// under it is left, so that no copy of that hour's keys opens anything. It
// also signs the periodic audit checkpoints that are due
// (PeriodicCheckpoints): a job across tenants on a schedule, as the rest.

// RetentionStore is what the sweep needs of the main database
// (postgres.Retention). Each claiming method changes at most limit sessions
// in one transaction and appends their events, built by ev.
type RetentionStore interface {
	ClaimExpired(ctx context.Context, now time.Time, limit int, ev SweepEvents) (int, error)
	RerequestStuck(ctx context.Context, now, requestedBefore time.Time, limit int, ev SweepEvents) (int, error)
	DecideLate(ctx context.Context, now, before time.Time, limit int, ev SweepEvents) (int, error)
	// RequestTailSweeps asks, once per session, for the tail sweep of
	// sessions deleted before deletedBefore, and says how many.
	RequestTailSweeps(ctx context.Context, now, deletedBefore time.Time, limit int, ev SweepEvents) (int, error)
	Overdue(ctx context.Context, now time.Time) (overdue int, oldest time.Time, err error)
	LiveEpochs(ctx context.Context) (map[uuid.UUID][]time.Time, error)
}

// EpochKeys lists and destroys epoch keys (vault.Vault).
type EpochKeys interface {
	Epochs(ctx context.Context, before time.Time) ([]Epoch, error)
	DestroyEpoch(ctx context.Context, tenantID uuid.UUID, epoch time.Time) error
}

// SweepObserver is told what a sweep does as it does it, for the
// producer's metrics and logs.
type SweepObserver interface {
	Claimed(n int)
	DecidedLate(n int)
	Rerequested(n int)
	TailRequested(n int)
	Checkpointed(n int)
	EpochDestroyed(e Epoch)
	Failed(err error)
}

// Retention is the retention sweep over its stores.
type Retention struct {
	Store RetentionStore
	Keys  EpochKeys
	// BatchSize is how many sessions one transaction claims.
	BatchSize int
	// DecisionDeadline is how long after its submission a session may wait
	// for a check before it is decided review.
	DecisionDeadline time.Duration
	// StuckAfter is how long after its request an unfinished wipe is asked
	// for again.
	StuckAfter time.Duration
	// TailAfter is how long after its wipe a session's prefix is swept
	// once more: longer than any upload policy lives, so that what an
	// upload through a policy issued before the wipe could still store
	// has landed by then.
	TailAfter time.Duration
	// Checkpoints signs the periodic audit checkpoints that are due; nil
	// leaves that step out.
	Checkpoints *PeriodicCheckpoints
}

// Swept is what one sweep did and saw.
type Swept struct {
	Claimed         int       // sessions whose wipe this sweep requested
	Rerequested     int       // unfinished wipes this sweep asked for again
	TailRequested   int       // wiped sessions whose tail sweep this sweep asked for
	Checkpoints     int       // periodic audit checkpoints this sweep signed and stored
	DecidedLate     int       // sessions decided review because a check missed the deadline
	EpochsDestroyed int       // epoch keys this sweep destroyed
	Overdue         int       // sessions past their deadline not yet deleted, after claiming
	Oldest          time.Time // created_at of the oldest session not yet deleted; zero when none
	// OverdueRead says Overdue and Oldest were read; false when that
	// step failed.
	OverdueRead bool
}

// Sweep runs one sweep at now: claims expired sessions batch by batch until
// a batch comes back short, decides the late ones, asks again for stuck
// wipes and for tail sweeps, signs the audit checkpoints that are due,
// destroys the epoch keys that are due, and reads the overdue figures. Each
// step runs even if an earlier one failed; the error joins those of every
// failed step, and Swept counts what was done regardless.
func (r Retention) Sweep(ctx context.Context, now time.Time, obs SweepObserver) (Swept, error) {
	var (
		sw   Swept
		errs []error
	)
	fail := func(err error) {
		obs.Failed(err)
		errs = append(errs, err)
	}
	for ctx.Err() == nil {
		n, err := r.Store.ClaimExpired(ctx, now, r.BatchSize, Sweep)
		sw.Claimed += n
		obs.Claimed(n)
		if err != nil {
			fail(err)
			break
		}
		if n < r.BatchSize {
			break
		}
	}
	// A check that never reports (its stage is down or cannot run here)
	// must not leave a session waiting; a wipe still unfinished long after
	// its request (a long storage outage) is asked for again.
	late, err := r.Store.DecideLate(ctx, now, now.Add(-r.DecisionDeadline), r.BatchSize, Sweep)
	sw.DecidedLate = late
	obs.DecidedLate(late)
	if err != nil {
		fail(err)
	}
	again, err := r.Store.RerequestStuck(ctx, now, now.Add(-r.StuckAfter), r.BatchSize, Sweep)
	sw.Rerequested = again
	obs.Rerequested(again)
	if err != nil {
		fail(err)
	}
	tail, err := r.Store.RequestTailSweeps(ctx, now, now.Add(-r.TailAfter), r.BatchSize, Sweep)
	sw.TailRequested = tail
	obs.TailRequested(tail)
	if err != nil {
		fail(err)
	}
	if r.Checkpoints != nil {
		n, failed := r.Checkpoints.Run(ctx, now)
		sw.Checkpoints = n
		obs.Checkpointed(n)
		for _, err := range failed {
			fail(err)
		}
	}
	for _, err := range r.sweepEpochs(ctx, now, &sw, obs) {
		fail(err)
	}
	if sw.Overdue, sw.Oldest, err = r.Store.Overdue(ctx, now); err != nil {
		fail(err)
	} else {
		sw.OverdueRead = true
	}
	if err := errors.Join(errs...); err != nil {
		return sw, fmt.Errorf("retention: round: %w", err)
	}
	return sw, nil
}

// epochID identifies an epoch independently of how its time was read.
type epochID struct {
	tenant uuid.UUID
	hour   int64 // Unix seconds
}

// sweepEpochs destroys every live epoch key whose hour is at or before now
// and under which no session key is stored any more. Listing the candidates
// before reading the live epochs means a candidate can only have gained a
// session key meanwhile by a rewrap to an hour already past, whose key is
// due for shredding anyway.
func (r Retention) sweepEpochs(ctx context.Context, now time.Time, sw *Swept, obs SweepObserver) []error {
	due, err := r.Keys.Epochs(ctx, now)
	if err != nil {
		return []error{err}
	}
	if len(due) == 0 {
		return nil
	}
	liveByTenant, err := r.Store.LiveEpochs(ctx)
	if err != nil {
		return []error{err}
	}
	live := make(map[epochID]bool)
	for tenant, hours := range liveByTenant {
		for _, h := range hours {
			live[epochID{tenant, EpochOf(h).Unix()}] = true
		}
	}
	var errs []error
	for _, e := range due {
		if live[epochID{e.TenantID, EpochOf(e.Hour).Unix()}] {
			continue // a session of that hour still awaits its wipe; the overdue figures show it
		}
		if err := r.Keys.DestroyEpoch(ctx, e.TenantID, e.Hour); err != nil {
			errs = append(errs, err)
			continue
		}
		sw.EpochsDestroyed++
		obs.EpochDestroyed(e)
	}
	return errs
}
