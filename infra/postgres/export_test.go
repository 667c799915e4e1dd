package postgres

import (
	"context"
	"database/sql"

	"github.com/google/uuid"
)

// BeginWithEntry begins a transaction over db whose BEGIN carries query as
// its scope's entry (begin.go), and says whether the entry went with it.
func BeginWithEntry(ctx context.Context, db *sql.DB, query string) (*sql.Tx, bool, error) {
	e := &entry{query: query}
	tx, err := db.BeginTx(context.WithValue(ctx, entryKey{}, e), nil)
	return tx, e.sent, err
}

// WakeRelay is wakeRelay on db: a relay of this process on db's database
// is woken directly, else NOTIFY is sent.
func WakeRelay(ctx context.Context, db *sql.DB) { wakeRelay(ctx, wrap(db)) }

// RegisterRelay is registerRelay.
func RegisterRelay(dsn string, wake func()) (unregister func()) { return registerRelay(dsn, wake) }

// Database is database: the name of the database a connection string
// connects to.
func Database(dsn string) string { return database(dsn) }

// KeyDestructionsQueued is how many DestroySessionKey calls of the tenant
// wait for a batch of w's.
func KeyDestructionsQueued(w *Wipes, tenantID uuid.UUID) int {
	w.destroying.mu.Lock()
	defer w.destroying.mu.Unlock()
	return len(w.destroying.queued[tenantID])
}

// AttemptsQueued is how many RecordAttempt calls of the tenant wait for a
// batch of d's.
func AttemptsQueued(d *Deliveries, tenantID uuid.UUID) int {
	d.recording.mu.Lock()
	defer d.recording.mu.Unlock()
	return len(d.recording.queued[tenantID])
}

// AuditsQueued is how many Record calls of the tenant wait for a batch of
// a's.
func AuditsQueued(a *Audit, tenantID uuid.UUID) int {
	a.recording.mu.Lock()
	defer a.recording.mu.Unlock()
	return len(a.recording.queued[tenantID])
}
