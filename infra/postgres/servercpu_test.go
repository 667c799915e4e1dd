package postgres_test

import (
	"context"
	"testing"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
)

// TestServerCPUCountsABackendsWork: CPU a backend of the named database
// spends is in Seconds; the server runs on this machine in tests.
func TestServerCPUCountsABackendsWork(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewURL(t)
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name string
	if err := db.QueryRowContext(ctx, `SELECT current_database()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // the one backend that works is the one measured
	m, err := postgres.StartServerCPU(ctx, db, name)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM generate_series(1, 5000000)`).Scan(&n); err != nil || n != 5000000 {
		t.Fatalf("count: %d, %v", n, err)
	}
	s, err := m.Seconds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s <= 0 {
		t.Fatalf("a backend counted 5,000,000 rows and the meter saw %.2f s of CPU", s)
	}
	t.Logf("%.2f s of server CPU", s)
}
