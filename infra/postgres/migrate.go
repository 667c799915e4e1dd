package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"
)

// migrationLock is the advisory lock key that serialises concurrent
// migrators (several replicas starting at once).
const migrationLock = 0x1d5_0001

// Migrate applies the *.sql files of fsys (in name order) that the database
// has not seen yet, each in its own transaction, and records them in
// schema_migrations. It returns the names it applied; a second run applies
// nothing.
func Migrate(ctx context.Context, pool *sql.DB, fsys fs.FS) ([]string, error) {
	db := wrap(pool)
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("migrate: list: %w", err)
	}
	sort.Strings(names)
	conn, err := db.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: connect: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return nil, fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var applied []string
	for _, name := range names {
		done, err := applyOne(ctx, conn, fsys, name)
		if err != nil {
			return applied, err
		}
		if done {
			applied = append(applied, strings.TrimSuffix(path.Base(name), ".sql"))
		}
	}
	return applied, nil
}

func applyOne(ctx context.Context, conn *sqlx.Conn, fsys fs.FS, name string) (bool, error) {
	body, err := fs.ReadFile(fsys, name)
	if err != nil {
		return false, fmt.Errorf("migrate: read %s: %w", name, err)
	}
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migrate: begin %s: %w", name, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name) VALUES ($1) ON CONFLICT DO NOTHING`, name)
	if err != nil {
		return false, fmt.Errorf("migrate: record %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return false, fmt.Errorf("migrate: apply %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migrate: commit %s: %w", name, err)
	}
	return true, nil
}

// Pending lists the migrations of fsys the database has not applied, as
// Migrate names them: what the next Migrate would apply (every one when
// schema_migrations does not exist yet). It reads schema_migrations, so
// the login must be allowed to (the migrating login is).
func Pending(ctx context.Context, pool *sql.DB, fsys fs.FS) ([]string, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("migrate: list: %w", err)
	}
	sort.Strings(names)
	db := wrap(pool)
	var exists bool
	if err := db.GetContext(ctx, &exists, `SELECT to_regclass('schema_migrations') IS NOT NULL`); err != nil {
		return nil, fmt.Errorf("migrate: look up schema_migrations: %w", err)
	}
	applied := map[string]bool{}
	if exists {
		var done []string
		if err := db.SelectContext(ctx, &done, `SELECT name FROM schema_migrations`); err != nil {
			return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
		}
		for _, n := range done {
			applied[n] = true
		}
	}
	var pending []string
	for _, name := range names {
		if !applied[name] {
			pending = append(pending, strings.TrimSuffix(path.Base(name), ".sql"))
		}
	}
	return pending, nil
}
