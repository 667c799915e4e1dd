package postgres

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
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
