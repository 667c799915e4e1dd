package postgres_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgcount"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
)

// TestScopeEntersWithTheBegin: a store transaction's BEGIN and its scope's
// entry (two SET LOCAL commands, as a tenant's) go in one round trip and
// count as three statements; the settings hold in the transaction and not
// after it; an entry that fails leaves no transaction open on the
// connection.
func TestScopeEntersWithTheBegin(t *testing.T) {
	ctx := t.Context()
	count := pgcount.New()
	db, err := postgres.Open(ctx, pgtest.NewURL(t), postgres.WithTap(count.Tap("main")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	count.Reset()

	tenant := uuid.NewString()
	tx, sent, err := postgres.BeginWithEntry(ctx, db, `SET LOCAL idv.other = 'x'; SET LOCAL idv.tenant_id = '`+tenant+`'`)
	if err != nil || !sent {
		t.Fatalf("begin: sent %v, %v", sent, err)
	}
	var inside, other string
	if err := tx.QueryRowContext(ctx, `SELECT current_setting('idv.tenant_id'), current_setting('idv.other')`).Scan(&inside, &other); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if inside != tenant || other != "x" {
		t.Errorf("inside the transaction idv.tenant_id is %q and idv.other %q, want %q and x", inside, other, tenant)
	}
	txs := count.Txs()
	if len(txs) != 1 || txs[0].Statements != 5 || txs[0].RoundTrips != 3 ||
		!strings.HasPrefix(txs[0].Queries[0], "SET LOCAL idv.other") {
		t.Fatalf("counted %+v, want one transaction of 5 statements (BEGIN, the entry's two SETs, SELECT, COMMIT) in 3 round trips, the entry first", txs)
	}
	if after := setting(t, db); after != "" {
		t.Errorf("after the commit idv.tenant_id is %q, want it gone with the transaction", after)
	}

	_, sent, err = postgres.BeginWithEntry(ctx, db, `SET LOCAL idv.other = 'y'; SET LOCAL role idv_no_such_role`)
	if err == nil || sent || !strings.Contains(err.Error(), "idv_no_such_role") {
		t.Fatalf("begin with a failing entry: sent %v, error %v; want the server's error", sent, err)
	}
	var open bool // the same connection: no transaction left open (aborted) on it
	if err := db.QueryRowContext(ctx, `SELECT now() <> statement_timestamp()`).Scan(&open); err != nil {
		t.Fatalf("the connection after a failed entry: %v", err)
	}
	if open || count.Connects() != 0 {
		t.Errorf("after a failed entry: in a transaction %v, connections opened %d; want neither", open, count.Connects())
	}
}

// TestBeginsOutliveTheirContexts: transactions with and without an entry,
// each context cancelled once its transaction is over, keep using one
// connection. (lib/pq's own BeginTx leaves a cancel watch that a later
// transaction's end would call again: once its context is done, that
// closes the connection.)
func TestBeginsOutliveTheirContexts(t *testing.T) {
	count := pgcount.New()
	db, err := postgres.Open(t.Context(), pgtest.NewURL(t), postgres.WithTap(count.Tap("main")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := db.PingContext(t.Context()); err != nil {
		t.Fatal(err)
	}
	count.Reset()
	for i := range 6 {
		ctx, cancel := context.WithCancel(t.Context())
		var tx *sql.Tx
		var err error
		if i%3 == 0 {
			tx, err = db.BeginTx(ctx, nil)
		} else {
			tx, _, err = postgres.BeginWithEntry(ctx, db, `SET LOCAL idv.tenant_id = 'x'`)
		}
		if err != nil {
			t.Fatalf("transaction %d: %v", i, err)
		}
		if _, err := tx.ExecContext(ctx, `SELECT 1`); err != nil {
			t.Fatalf("transaction %d: %v", i, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatalf("transaction %d: commit: %v", i, err)
		}
		cancel()
	}
	if n := count.Connects(); n != 0 {
		t.Errorf("six transactions opened %d more connections, want none", n)
	}
}

// setting is idv.tenant_id outside any transaction, "" when unset.
func setting(t *testing.T, db *sql.DB) string {
	t.Helper()
	var v string
	if err := db.QueryRowContext(t.Context(), `SELECT coalesce(current_setting('idv.tenant_id', true), '')`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// BenchmarkScopeEntry is what a tenant scope's entry costs the server: a
// transaction of BEGIN with the entry, SELECT 1 and COMMIT over one
// connection, its server CPU per transaction (server-µs/op, from /proc),
// with today's entry (SET LOCAL of the role and the tenant), with the
// SELECT of both set_configs it replaced on 2026-12-07, and with none.
func BenchmarkScopeEntry(b *testing.B) {
	ctx := context.Background()
	db, _, name := benchDB(b)
	db.SetMaxOpenConns(1)
	tenant := uuid.New()
	today, err := postgres.TenantEntry(tenant)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, entry string }{
		{"set_local", today},
		{"set_config", `SELECT set_config('role', '` + postgres.AppRole + `', true),
			set_config('idv.tenant_id', '` + tenant.String() + `', true)`},
		{"none", ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			meter, err := postgres.StartServerCPU(ctx, db, name)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				scopedSelect(b, db, c.entry)
			}
			s, err := meter.Seconds(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(s*1e6/float64(b.N), "server-µs/op")
		})
	}
}

// scopedSelect runs BEGIN with entry (none when empty), SELECT 1 and
// COMMIT over db.
func scopedSelect(b *testing.B, db *sql.DB, entry string) {
	var tx *sql.Tx
	var err error
	if entry == "" {
		tx, err = db.BeginTx(context.Background(), nil)
	} else {
		tx, _, err = postgres.BeginWithEntry(context.Background(), db, entry)
	}
	if err != nil {
		b.Fatal(err)
	}
	var one int
	if err := tx.QueryRow(`SELECT 1`).Scan(&one); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}
