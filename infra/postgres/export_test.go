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
