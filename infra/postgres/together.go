package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/idv-oss/idv"
)

// Reads that belong together (issue 20: fewer, larger transactions). A
// request or a stage that reads several things of one tenant — a session,
// its captures and its results — would otherwise open a transaction per
// store call, each with its BEGIN, scope and COMMIT. ReadTogether opens one
// read-only transaction in the tenant's scope and carries it in the
// context it hands to fn: every store call fn makes through that context,
// over the same pool and in the same scope, runs in it. A call in another
// scope (the system's, another tenant's) or over another pool opens its
// own transaction as before. A write inside fn fails (the transaction is
// READ ONLY), so a read-together is never half of a change.

// Changes that belong together are the same with a read-write
// transaction (ChangeTogether): a request that reads a session, changes it
// and reads it back for its answer commits once. A store call that appends
// to the outbox inside it wakes the relay after the group's commit, not
// after its own part. A store call that appends to the audit chain inside
// it leaves its entries with the group, which appends them as its last
// step before the commit: the tenant's chain lock is then held for the
// append and the commit only, as appendAudit asks, not for the group's
// later calls (the erasure read the session back under it, and every
// erasure of the tenant waited for that read).

// together is the transaction a ReadTogether or a ChangeTogether shares
// with the store calls made through its context.
type together struct {
	db       *sql.DB
	sc       scope
	tx       *sqlx.Tx
	readOnly bool
	appended bool             // a call appended to the outbox: wake the relay after the commit
	audits   []idv.AuditEntry // entries the calls appended, appended to the chain before the commit
}

type togetherKey struct{}

// Reads runs groups of store calls of one tenant in one transaction.
type Reads struct {
	db *sqlx.DB
	// changing joins the ChangeTogether groups of one tenant that arrive
	// while one of its batches runs into the next batch's transaction.
	changing tenantBatches[groupCall]
}

// groupCall is one group's function with the context it was called with.
type groupCall struct {
	ctx context.Context
	fn  func(context.Context) error
}

// NewReads returns the groups over db, the pool the stores use.
func NewReads(db *sql.DB) *Reads { return &Reads{db: wrap(db)} }

// Together runs fn with a context in which the stores' calls in tenantID's
// scope over this pool share one read-only transaction; it commits when fn
// returns nil. fn must make those calls from one goroutine. Inside a
// ChangeTogether of the same tenant it runs in that group's transaction.
func (r *Reads) Together(ctx context.Context, tenantID uuid.UUID, fn func(context.Context) error) error {
	return r.group(ctx, tenantID, true, fn)
}

// ChangeTogether is Together with a read-write transaction: the calls'
// writes commit together when fn returns nil and not at all otherwise,
// and the relay is woken after the commit when one of them appended to the
// outbox. Inside a read-only Together it fails.
//
// The groups of one tenant that arrive while one of its groups runs are
// run by the next in one transaction (batches.go), one after another, each
// in a savepoint of its own, so that a group that fails undoes only its own
// part; each returns once the transaction committed. They share its commit
// and one hold of the tenant's audit chain lock for all their entries,
// where each would otherwise wait for the lock in turn (every erasure
// request of a tenant appends to its chain). fn runs with its own
// context's values (the actor its entries name), but a batch ends with its
// own bound, not with the caller's context.
func (r *Reads) ChangeTogether(ctx context.Context, tenantID uuid.UUID, fn func(context.Context) error) error {
	return r.group(ctx, tenantID, false, fn)
}

func (r *Reads) group(ctx context.Context, tenantID uuid.UUID, readOnly bool, fn func(context.Context) error) error {
	if tenantID == uuid.Nil {
		return fmt.Errorf("postgres: calls together without a tenant")
	}
	sc := tenantScope(tenantID)
	if t := sharedGroup(ctx, r.db, sc); t != nil {
		if t.readOnly && !readOnly {
			return fmt.Errorf("postgres: a change of %s inside reads together", tenantID)
		}
		return fn(ctx) // already inside one
	}
	call := groupCall{ctx: ctx, fn: fn}
	if readOnly {
		return r.run(ctx, sc, true, []groupCall{call})[0]
	}
	err := r.changing.do(ctx, tenantID, call, func(ctx context.Context, calls []groupCall) []error {
		return r.run(ctx, sc, false, calls)
	})
	if isDeadlock(err) {
		// A batch locks its groups' rows one group after another, and a
		// transaction that locks several of them in another order (a
		// FinishWipe batch; another process's batch) can deadlock with it.
		// The group was undone: run it again, alone.
		return r.run(ctx, sc, false, []groupCall{call})[0]
	}
	return err
}

// isDeadlock reports whether err is PostgreSQL's deadlock_detected.
func isDeadlock(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "40P01"
}

// run runs calls in one transaction of scope sc and returns each its
// outcome. Several calls each run in a savepoint: one that fails is undone
// alone, and its audit entries and outbox appends are forgotten. The
// transaction commits when any call succeeded, after appending the
// successful calls' audit entries.
func (r *Reads) run(ctx context.Context, sc scope, readOnly bool, calls []groupCall) []error {
	outcome := make([]error, len(calls))
	tx, err := beginScoped(ctx, r.db, sc, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return failAll(outcome, fmt.Errorf("postgres: calls of %s together: %w", sc.tenant, err))
	}
	defer tx.Rollback()
	t := &together{db: r.db.DB, sc: sc, tx: tx, readOnly: readOnly}
	succeeded := 0
	for i, c := range calls {
		var broken error
		if outcome[i], broken = t.call(ctx, c, len(calls) > 1); broken != nil {
			return failAll(outcome, broken)
		}
		if outcome[i] == nil {
			succeeded++
		}
	}
	if succeeded == 0 {
		return outcome
	}
	// ctx does not carry t: appendAudits appends rather than leaving the
	// entries with the group again.
	if err := appendAudits(ctx, tx, sc.tenant, t.audits); err != nil {
		return failAll(outcome, err)
	}
	if err := tx.Commit(); err != nil {
		return failAll(outcome, fmt.Errorf("postgres: commit calls of %s together: %w", sc.tenant, err))
	}
	if t.appended {
		wakeRelay(ctx, r.db)
	}
	return outcome
}

// call runs c's function in t's transaction, with ctx's deadline and
// c.ctx's values; in a savepoint when savepoint is set, rolled back to if
// the function fails. broken is the savepoint's own failure: the
// transaction can then take nothing more.
func (t *together) call(ctx context.Context, c groupCall, savepoint bool) (err, broken error) {
	fnCtx := context.WithValue(callContext{Context: ctx, values: c.ctx}, togetherKey{}, t)
	if !savepoint {
		return c.fn(fnCtx), nil
	}
	audits, appended := len(t.audits), t.appended
	if _, err := t.tx.ExecContext(ctx, `SAVEPOINT group_call`); err != nil {
		return nil, fmt.Errorf("postgres: savepoint of a group of %s: %w", t.sc.tenant, err)
	}
	if err := c.fn(fnCtx); err != nil {
		t.audits, t.appended = t.audits[:audits], appended
		if _, rerr := t.tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT group_call`); rerr != nil {
			return err, fmt.Errorf("postgres: undo a group of %s: %w", t.sc.tenant, rerr)
		}
		return err, nil
	}
	if _, err := t.tx.ExecContext(ctx, `RELEASE SAVEPOINT group_call`); err != nil {
		return nil, fmt.Errorf("postgres: release a group of %s: %w", t.sc.tenant, err)
	}
	return nil, nil
}

// callContext is a batch's context (its deadline, its end) with the values
// of a call's own (its actor): the context a group's function runs with.
type callContext struct {
	context.Context
	values context.Context
}

func (c callContext) Value(key any) any { return c.values.Value(key) }

// sharedGroup is the group ctx carries for calls in scope sc over db, or
// nil.
func sharedGroup(ctx context.Context, db *sqlx.DB, sc scope) *together {
	t, ok := ctx.Value(togetherKey{}).(*together)
	if !ok || t.db != db.DB || t.sc != sc {
		return nil
	}
	return t
}

// changeGroupOf is the read-write group ctx carries whose transaction is
// tx, or nil.
func changeGroupOf(ctx context.Context, tx *sqlx.Tx) *together {
	t, ok := ctx.Value(togetherKey{}).(*together)
	if !ok || t.tx != tx || t.readOnly {
		return nil
	}
	return t
}

// shared is the transaction ctx carries for calls in scope sc over db, or
// nil.
func shared(ctx context.Context, db *sqlx.DB, sc scope) *sqlx.Tx {
	if t := sharedGroup(ctx, db, sc); t != nil {
		return t.tx
	}
	return nil
}
