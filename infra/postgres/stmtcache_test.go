package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgcount"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/schemas"
)

// TestStatementsArePreparedOnce: a statement with parameters is prepared
// on a connection's first use of it (two round trips) and run by name
// after (one); one without parameters is never prepared; the values read
// back are the same either way.
func TestStatementsArePreparedOnce(t *testing.T) {
	ctx := context.Background()
	count := pgcount.New()
	db, err := postgres.Open(ctx, pgtest.NewURL(t), postgres.WithTap(count.Tap("main")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: what it prepared is what it holds
	const query = `SELECT $1::int + 1, $2::bytea, $3::text[]`
	count.Reset()
	for i := range 3 {
		var n int
		var b []byte
		var arr string
		if err := db.QueryRowContext(ctx, query, 41+i, []byte{0, 1, 2}, "{a,b}").Scan(&n, &b, &arr); err != nil {
			t.Fatal(err)
		}
		if n != 42+i || string(b) != "\x00\x01\x02" || arr != "{a,b}" {
			t.Fatalf("run %d read %d, %x, %q", i, n, b, arr)
		}
	}
	var trips []int
	for _, tx := range count.Txs() {
		trips = append(trips, tx.RoundTrips)
	}
	if len(trips) != 3 || trips[0] != 2 || trips[1] != 1 || trips[2] != 1 {
		t.Errorf("round trips of the three runs %v, want [2 1 1]: prepared once, then run by name", trips)
	}
	var prepared []string
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_prepared_statements WHERE statement = $1`, query).Scan(new(int)); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, `SELECT statement FROM pg_prepared_statements ORDER BY statement`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		prepared = append(prepared, s)
	}
	// The count query has a parameter: prepared too. The list has none.
	if len(prepared) != 2 || prepared[0] != query {
		t.Errorf("the connection holds %q prepared, want the query and the count of it", prepared)
	}
}

// benchDB opens a pool (postgres.Open) on a new migrated database, closed
// when b ends, and returns it with its URL and the database's name, which
// postgres.StartServerCPU takes.
func benchDB(b *testing.B) (db *sql.DB, url, name string) {
	_, url = pgtest.NewDBURL(b, schemas.MainMigrations())
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.QueryRowContext(context.Background(), `SELECT current_database()`).Scan(&name); err != nil {
		b.Fatal(err)
	}
	return db, url, name
}

// BenchmarkServerCPUPerRead: the server's CPU per one-row read by primary
// key (a session of a migrated database), sent unnamed (parsed and planned
// on every call, as lib/pq does by itself) and prepared (as postgres.Open's
// connections do); server-µs/op is postgres.ServerCPU's, from /proc. Run
// with: go test -run '^$' -bench ServerCPUPerRead ./infra/postgres (DB).
func BenchmarkServerCPUPerRead(b *testing.B) {
	ctx := context.Background()
	prepared, url, name := benchDB(b)
	unnamed, err := sql.Open("postgres", url+"&binary_parameters=yes")
	if err != nil {
		b.Fatal(err)
	}
	defer unnamed.Close()
	const query = `SELECT session_id, status, attempt FROM sessions WHERE session_id = $1 AND tenant_id = $2`
	for _, c := range []struct {
		name string
		db   *sql.DB
	}{{"unnamed", unnamed}, {"prepared", prepared}} {
		b.Run(c.name, func(b *testing.B) {
			c.db.SetMaxOpenConns(1)
			meter, err := postgres.StartServerCPU(ctx, c.db, name)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				rows, err := c.db.QueryContext(ctx, query, uuid.New(), uuid.New())
				if err != nil {
					b.Fatal(err)
				}
				rows.Close()
			}
			s, err := meter.Seconds(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(s*1e6/float64(b.N), "server-µs/op")
		})
	}
}
