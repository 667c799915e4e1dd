// Package pgtest gives each integration test a database of its own on the
// PostgreSQL server named by DATABASE_URL, migrated and dropped afterwards.
//
// Without DATABASE_URL the test is skipped with a message saying how to run
// it, unless IDV_REQUIRE_DB is set (as `go tool task test` does), in which
// case it fails: the task must never pass by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"net/url"
	"os"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv/infra/postgres"
)

// ServerURL returns DATABASE_URL or skips (or fails) the test without it.
func ServerURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("DATABASE_URL")
	if u != "" {
		return u
	}
	if os.Getenv("IDV_REQUIRE_DB") != "" {
		t.Fatal("integration test: DATABASE_URL is not set but IDV_REQUIRE_DB is; scripts/postgres.sh provides one")
	}
	t.Skip("integration test skipped: no DATABASE_URL; run `go tool task test`, which starts or finds PostgreSQL")
	return ""
}

// NewURL creates a fresh, empty database and returns its URL; the database is
// dropped when the test ends.
func NewURL(t testing.TB) string {
	t.Helper()
	server := ServerURL(t)
	ctx := context.Background()
	admin, err := postgres.Open(ctx, server)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer admin.Close()
	name := "idv_test_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		a, err := postgres.Open(context.Background(), server)
		if err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
			return
		}
		defer a.Close()
		if _, err := a.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("pgtest: parse DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// NewDB creates a fresh database, applies the given migrations and returns a
// connection that is closed when the test ends. It connects as the login
// of DATABASE_URL, the tables' owner.
func NewDB(t testing.TB, migrations ...fs.FS) *sqlx.DB {
	t.Helper()
	db, _ := NewDBURL(t, migrations...)
	return db
}

// NewDBURL is NewDB also returning the database's URL, for what opens
// connections of its own (postgres.OpenApp, a LISTEN connection).
func NewDBURL(t testing.TB, migrations ...fs.FS) (*sqlx.DB, string) {
	t.Helper()
	ctx := context.Background()
	u := NewURL(t)
	db, err := postgres.Open(ctx, u)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	for _, m := range migrations {
		if _, err := postgres.Migrate(ctx, db, m); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
	}
	return sqlx.NewDb(db, "postgres"), u
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
