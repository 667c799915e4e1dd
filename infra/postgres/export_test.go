package postgres

import (
	"context"
	"database/sql"
	"sync/atomic"

	"github.com/google/uuid"
)

// BeginWithEntry begins a transaction over db whose BEGIN carries query as
// its scope's entry (begin.go), and says whether the entry went with it.
func BeginWithEntry(ctx context.Context, db *sql.DB, query string) (*sql.Tx, bool, error) {
	e := &entry{query: query}
	tx, err := db.BeginTx(context.WithValue(ctx, entryKey{}, e), nil)
	return tx, e.sent, err
}

// TenantEntry is the entry that enters tenant id's scope (scope.go).
func TenantEntry(id uuid.UUID) (string, error) { return tenantScope(id).entryQuery() }

// WakeRelay is wakeRelay on db: a relay of this process on db's database
// is woken directly, else NOTIFY is sent.
func WakeRelay(ctx context.Context, db *sql.DB) { wakeRelay(ctx, wrap(db)) }

// RegisterRelay is registerRelay.
func RegisterRelay(dsn string, wake func()) (unregister func()) { return registerRelay(dsn, wake) }

// Database is database: the name of the database a connection string
// connects to.
func Database(dsn string) string { return database(dsn) }

// queuedLen is how many calls of the tenant wait for one of g's batches.
func (g *tenantBatches[T]) queuedLen(tenantID uuid.UUID) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.queued[tenantID])
}

// KeyDestructionsQueued, AttemptsQueued, AuditsQueued and FinishesQueued
// are how many calls of the tenant wait for a batch: DestroySessionKey's,
// RecordAttempt's, Record's and FinishWipe's.
func KeyDestructionsQueued(w *Wipes, tenantID uuid.UUID) int { return w.destroying.queuedLen(tenantID) }
func AttemptsQueued(d *Deliveries, tenantID uuid.UUID) int   { return d.recording.queuedLen(tenantID) }
func AuditsQueued(a *Audit, tenantID uuid.UUID) int          { return a.recording.queuedLen(tenantID) }
func FinishesQueued(w *Wipes, tenantID uuid.UUID) int        { return w.finishing.queuedLen(tenantID) }

// ChangesQueued is how many ChangeTogether groups of the tenant wait for a
// batch of r.
func ChangesQueued(r *Reads, tenantID uuid.UUID) int { return r.changing.queuedLen(tenantID) }

// OpenCounting is Open with the pool's transactions counted into n rather
// than the process's count.
func OpenCounting(ctx context.Context, url string, n *atomic.Int64) (*sql.DB, error) {
	return open(ctx, url, []Option{func(o *options) { o.transactions = n }})
}
