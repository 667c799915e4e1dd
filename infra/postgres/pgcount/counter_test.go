package pgcount_test

import (
	"context"
	"testing"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgcount"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
)

// TestCountsWhatTheDriverSends: a transaction of a simple query of two
// commands and a statement with parameters is 1 transaction, 5 statements
// (BEGIN, the two commands, the statement, COMMIT) and 5 round trips (the
// simple query one; the parameterised statement is prepared on the
// connection's first use of it, then run: two; TestStatementsArePreparedOnce
// counts the later runs); a statement outside a transaction is a
// transaction of its own.
func TestCountsWhatTheDriverSends(t *testing.T) {
	ctx := context.Background()
	c := pgcount.New()
	db, err := postgres.Open(ctx, pgtest.NewURL(t), postgres.WithTap(c.Tap("main")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if c.Connects() == 0 {
		t.Fatal("no connection counted")
	}
	c.Reset()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `SET LOCAL idv.x = 'y'; SET LOCAL idv.z = 'w'`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT $1::int + 1`, 41).Scan(&n); err != nil || n != 42 {
		t.Fatalf("select: %d, %v", n, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	txs := c.Txs()
	if len(txs) != 2 {
		t.Fatalf("%d transactions counted, want 2: %+v", len(txs), txs)
	}
	if got := txs[0]; !got.Explicit || got.Statements != 5 || got.RoundTrips != 5 || got.RolledBack || got.DB != "main" {
		t.Errorf("transaction counted as %+v, want 5 statements in 5 round trips", got)
	}
	if got := txs[1]; got.Explicit || got.Statements != 1 || got.RoundTrips != 1 {
		t.Errorf("lone statement counted as %+v, want 1 statement in 1 round trip", got)
	}
	if got := txs[0].Stage; got != "other" {
		t.Errorf("stage %q outside any stage, want other", got)
	}
	if got := pgcount.Sum(txs); got != (pgcount.Totals{Transactions: 2, Statements: 6, RoundTrips: 6}) {
		t.Errorf("sum %+v", got)
	}
}
