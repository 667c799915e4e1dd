package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
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

// together is the transaction a ReadTogether shares with the store calls
// made through its context.
type together struct {
	db *sql.DB
	sc scope
	tx *sqlx.Tx
}

type togetherKey struct{}

// Reads runs groups of reads of one tenant in one transaction.
type Reads struct{ db *sqlx.DB }

// NewReads returns the read groups over db, the pool the stores use.
func NewReads(db *sql.DB) *Reads { return &Reads{db: wrap(db)} }

// Together runs fn with a context in which the stores' calls in tenantID's
// scope over this pool share one read-only transaction; it commits when fn
// returns nil. fn must make those calls from one goroutine.
func (r *Reads) Together(ctx context.Context, tenantID uuid.UUID, fn func(context.Context) error) error {
	if tenantID == uuid.Nil {
		return fmt.Errorf("postgres: reads together without a tenant")
	}
	sc := tenantScope(tenantID)
	if shared(ctx, r.db, sc) != nil {
		return fn(ctx) // already inside one
	}
	tx, err := beginScoped(ctx, r.db, sc, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("postgres: reads of %s: %w", tenantID, err)
	}
	defer tx.Rollback()
	if err := fn(context.WithValue(ctx, togetherKey{}, &together{db: r.db.DB, sc: sc, tx: tx})); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("postgres: commit reads of %s: %w", tenantID, err)
	}
	return nil
}

// shared is the transaction ctx carries for calls in scope sc over db, or
// nil.
func shared(ctx context.Context, db *sqlx.DB, sc scope) *sqlx.Tx {
	t, ok := ctx.Value(togetherKey{}).(*together)
	if !ok || t.db != db.DB || t.sc != sc {
		return nil
	}
	return t.tx
}
