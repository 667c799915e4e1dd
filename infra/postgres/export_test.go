package postgres

import (
	"context"
	"database/sql"
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
