// Package postgres is IDV's adapter to PostgreSQL: opening connections,
// applying the embedded migrations, and the stores that read and write
// tenants, sessions, captures and the outbox.
package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // registers the "postgres" driver
)

// maxConns bounds each pool: a process running every part (idv dev, idv
// loadgen) shares one pool per database between the API and the stages.
const maxConns = 16

// Open connects to the database at url and checks that it answers.
func Open(ctx context.Context, url string) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	// database/sql keeps only 2 idle connections by default: under load
	// every other query then opens a connection (a new PostgreSQL backend)
	// and closes it again. Keep as many idle as may be open; idle ones go
	// after a minute.
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return db, nil
}
