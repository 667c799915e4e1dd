package postgres

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

var dbName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// EnsureDatabase creates database name on the server of serverURL unless it
// exists, and returns the URL of that database.
func EnsureDatabase(ctx context.Context, serverURL, name string) (string, error) {
	if !dbName.MatchString(name) {
		return "", fmt.Errorf("postgres: database name %q: use lower-case letters, digits and _", name)
	}
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", fmt.Errorf("postgres: parse server URL: %w", err)
	}
	db, err := Open(ctx, serverURL)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", fmt.Errorf("postgres: look up database %s: %w", name, err)
	}
	if !exists {
		if _, err := db.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
			return "", fmt.Errorf("postgres: create database %s: %w", name, err)
		}
	}
	u.Path = "/" + name
	return u.String(), nil
}

// Analyze brings the planner's statistics of every table in each database
// dsns name up to date (ANALYZE), as autovacuum does on its own round; the
// plans PostgreSQL cached for those tables are made again on their next
// use. The role of each URL must own the tables, or be a superuser: a
// table it may not analyse is skipped with a warning in the server's log.
func Analyze(ctx context.Context, dsns ...string) error {
	for _, dsn := range dsns {
		if err := analyze(ctx, dsn); err != nil {
			return err
		}
	}
	return nil
}

func analyze(ctx context.Context, dsn string) error {
	db, err := Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("postgres: analyze database %q: %w", DatabaseName(dsn), err)
	}
	return nil
}

// DatabaseName is the database a postgres:// URL names ("" for another
// form).
func DatabaseName(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}
