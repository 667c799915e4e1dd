package postgres_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/schemas"
)

// TestTransactionsCounted: a pool counts each transaction it runs once —
// a BEGIN … COMMIT or ROLLBACK with its statements, and a statement sent
// outside one (PostgreSQL runs it as a transaction of its own) — as idv
// loadgen's per-verification figure reads them.
func TestTransactionsCounted(t *testing.T) {
	t.Parallel()
	_, url := pgtest.NewDBURL(t, schemas.MainMigrations())
	ctx := t.Context()
	var n atomic.Int64
	db, err := postgres.OpenCounting(ctx, url, &n)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	steps := []struct {
		what string
		run  func(context.Context) error
		want int64
	}{
		{"a statement alone", func(ctx context.Context) error {
			_, err := db.ExecContext(ctx, `SELECT 1`)
			return err
		}, 1},
		{"a statement with parameters alone", func(ctx context.Context) error {
			var one int
			return db.QueryRowContext(ctx, `SELECT $1::int`, 1).Scan(&one)
		}, 1},
		{"three statements in a committed transaction", func(ctx context.Context) error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			for range 3 {
				if _, err := tx.ExecContext(ctx, `SELECT $1::int`, 1); err != nil {
					return err
				}
			}
			return tx.Commit()
		}, 1},
		{"a rolled-back transaction, then a statement alone", func(ctx context.Context) error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `SELECT 1`); err != nil {
				return err
			}
			if err := tx.Rollback(); err != nil {
				return err
			}
			_, err = db.ExecContext(ctx, `SELECT 1`)
			return err
		}, 2},
	}
	for _, s := range steps {
		before := n.Load()
		if err := s.run(ctx); err != nil {
			t.Fatalf("%s: %v", s.what, err)
		}
		if got := n.Load() - before; got != s.want {
			t.Errorf("%s: %d transactions counted, want %d", s.what, got, s.want)
		}
	}
}
