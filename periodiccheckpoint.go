package idv

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/schemas"
)

// Periodic audit checkpoints (docs/processor-duties.md, "Audit log"): a
// tenant that never exports its chain or reads a receipt still gets a
// signed chain head at intervals, as the audit.checkpoint webhook. The
// retention sweep signs one for each tenant whose chain grew since its last
// one, once an interval has passed; the checkpoint and its
// idv.audit.checkpoint event are stored in one transaction, and the notifier
// sends the stored bytes. A checkpoint records no entry of its own: the
// chain of a tenant with nothing new stays where it is, and so does its
// checkpoint.

// StoredCheckpoint is a periodic checkpoint as audit_checkpoints holds it.
type StoredCheckpoint struct {
	ID       uuid.UUID
	TenantID uuid.UUID
	Seq      int64 // the head entry the statement names
	SignedCheckpoint
	CreatedAt time.Time // when it was signed: the statement's signed_at
}

// CheckpointStore keeps the periodic checkpoints (postgres.AuditCheckpoints).
type CheckpointStore interface {
	// DueCheckpoints lists up to limit tenants, none of them offboarding,
	// whose audit chain has an entry after the one their last periodic
	// checkpoint names and whose last periodic checkpoint was signed at or
	// before signedBefore (or who have none), the longest waiting first.
	DueCheckpoints(ctx context.Context, signedBefore time.Time, limit int) ([]uuid.UUID, error)
	// SaveCheckpoint stores c and appends ev in one transaction, and says
	// true. It stores nothing and says false when, by then, the tenant is
	// offboarding or has a periodic checkpoint signed after signedBefore
	// or naming entry c.Seq or a later one (another replica's).
	SaveCheckpoint(ctx context.Context, c StoredCheckpoint, signedBefore time.Time, ev Event) (bool, error)
}

// PeriodicCheckpoints signs and stores the periodic checkpoints that are
// due.
type PeriodicCheckpoints struct {
	Store CheckpointStore
	Heads AuditHeads
	Sign  StatementSigner // the audit key's
	// Interval is how long after a tenant's last periodic checkpoint the
	// next one may be signed.
	Interval time.Duration
	// BatchSize bounds how many tenants one run signs for; the rest wait
	// for the next run, the longest waiting first.
	BatchSize int
}

// Run signs at now the checkpoint of each tenant due (up to BatchSize) with
// purpose periodic and stores it with its idv.audit.checkpoint event. It
// returns how many it stored and the error of each tenant it could not
// sign or store for; one tenant's failure does not stop the others.
func (p PeriodicCheckpoints) Run(ctx context.Context, now time.Time) (int, []error) {
	before := now.Add(-p.Interval)
	due, err := p.Store.DueCheckpoints(ctx, before, p.BatchSize)
	if err != nil {
		return 0, []error{err}
	}
	var (
		stored int
		errs   []error
	)
	for _, tenant := range due {
		if ctx.Err() != nil {
			return stored, append(errs, ctx.Err())
		}
		saved, err := p.one(ctx, tenant, now, before)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if saved {
			stored++
		}
	}
	return stored, errs
}

// one signs and stores the tenant's checkpoint.
func (p PeriodicCheckpoints) one(ctx context.Context, tenant uuid.UUID, now, before time.Time) (bool, error) {
	cp, err := Checkpoint(ctx, p.Heads, p.Sign, tenant, schemas.CheckpointPeriodic, now)
	if err != nil {
		return false, err
	}
	c, err := ParseCheckpoint(cp.Statement)
	if err != nil {
		return false, fmt.Errorf("audit checkpoint of %s: %w", tenant, err)
	}
	if c.Seq == 0 {
		return false, nil // an empty chain: nothing to anchor
	}
	stored := StoredCheckpoint{ID: uuid.New(), TenantID: tenant, Seq: c.Seq, SignedCheckpoint: cp, CreatedAt: now}
	return p.Store.SaveCheckpoint(ctx, stored, before, AuditCheckpointEvent(stored))
}
