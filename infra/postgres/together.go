package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

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
type Reads struct{ db *sqlx.DB }

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
	tx, err := beginScoped(ctx, r.db, sc, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return fmt.Errorf("postgres: calls of %s together: %w", tenantID, err)
	}
	defer tx.Rollback()
	t := &together{db: r.db.DB, sc: sc, tx: tx, readOnly: readOnly}
	if err := fn(context.WithValue(ctx, togetherKey{}, t)); err != nil {
		return err
	}
	// ctx does not carry t: appendAudits appends rather than leaving the
	// entries with the group again.
	if err := appendAudits(ctx, tx, tenantID, t.audits); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("postgres: commit calls of %s together: %w", tenantID, err)
	}
	if t.appended {
		wakeRelay(ctx, r.db)
	}
	return nil
}

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
