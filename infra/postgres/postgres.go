// Package postgres is IDV's adapter to PostgreSQL: opening connections,
// applying the embedded migrations, and the stores that read and write
// tenants, sessions, captures and the outbox.
package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // registers the "postgres" driver
)

// maxConns bounds each pool: a process running every part (idv dev, idv
// loadgen) shares one pool per database between the API and the stages.
const maxConns = 16

// Open connects to the database at url as the login it names and checks
// that it answers and is at least MinServerVersion. Migrations run over it:
// the login owns the tables.
func Open(ctx context.Context, url string, opts ...Option) (*sql.DB, error) {
	return open(ctx, url, opts)
}

// OpenApp is Open for the services: every connection acts as AppRole from
// its start (the role is a startup parameter, so even RESET ROLE returns to
// it), so a statement outside the stores' scoped transactions sees no
// tenant's rows. The login must be a member of AppRole and SystemRole
// (migration 016 makes the migrating login one; docs/processor-duties.md, "Tenant
// isolation").
func OpenApp(ctx context.Context, dsn string, opts ...Option) (*sql.DB, error) {
	withRole, err := withParam(dsn, "role", AppRole)
	if err != nil {
		return nil, err
	}
	return open(ctx, withRole, opts)
}

// withParam sets key=value in a postgres:// URL or a key=value connection
// string; lib/pq passes role to the server as a startup parameter and
// reads its own options (binary_parameters) itself.
func withParam(dsn, key, value string) (string, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " " + key + "=" + value, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("postgres: parse database URL: %w", err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func open(ctx context.Context, dsn string, opts []Option) (*sql.DB, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	// binary_parameters makes lib/pq send a statement with parameters as
	// parse, bind and execute in one round trip instead of two (and []byte
	// parameters as binary data: a jsonb parameter must go as a string).
	dsn, err := withParam(dsn, "binary_parameters", "yes")
	if err != nil {
		return nil, err
	}
	db, err := openPool(dsn, o)
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
	// An older server would fail later, on the first statement that needs
	// what it lacks; refuse it here with the version in the message.
	num, err := ServerVersion(pingCtx, db)
	if err == nil {
		err = CheckServerVersion(num)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	rememberPool(db, dsn)
	return db, nil
}

// wrap is db as the stores query it: sqlx over the pool the caller opened
// (no new connections). The stores take a *sql.DB so that nothing of the
// driver's or of sqlx's appears in what this package exports.
func wrap(db *sql.DB) *sqlx.DB { return sqlx.NewDb(db, "postgres") }
