package postgres_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv/infra/postgres/pgcount"
)

// The tests of the stores' per-tenant batches (batches.go) hold a lock the
// first call's batch needs, queue the others behind it, release the lock
// and count the statements each batch sent.

// queueBehind runs call(0) .. call(n-1), each in a goroutine of its own, so
// that the first waits in its batch on the lock hold has (waiting says when
// it does) and the others queue behind it for the next batch (queued says
// how many do); then it calls meanwhile (unless nil), rolls hold back and
// returns once every call has.
func queueBehind(t *testing.T, hold *sqlx.Tx, n int, call func(i int), waiting func() bool, queued func() int, meanwhile func()) {
	t.Helper()
	var wg sync.WaitGroup
	wg.Go(func() { call(0) })
	poll(waiting)
	for i := 1; i < n; i++ {
		wg.Go(func() { call(i) })
	}
	poll(func() bool { return queued() >= n-1 })
	if meanwhile != nil {
		meanwhile()
	}
	if err := hold.Rollback(); err != nil {
		t.Error(err)
	}
	wg.Wait()
}

// poll returns once cond holds, asking every 10 ms.
func poll(cond func() bool) {
	for !cond() {
		time.Sleep(10 * time.Millisecond)
	}
}

// lockWaiters is the query counting the transactions that wait for the
// transaction whose id ($1) pg_current_xact_id()::text gave.
const lockWaiters = `SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted
	AND transactionid::text = $1`

// assertBatches fails t unless count saw want explicit transactions among
// those keep accepts (nil: all), each of statements statements, none
// rolled back: a batch's cost does not grow with its size.
func assertBatches(t *testing.T, count *pgcount.Counter, keep func(pgcount.Tx) bool, want, statements int) {
	t.Helper()
	var txs []pgcount.Tx
	for _, tx := range count.Txs() {
		if tx.Explicit && (keep == nil || keep(tx)) {
			txs = append(txs, tx)
		}
	}
	if len(txs) != want {
		t.Fatalf("%d transactions, want %d batches", len(txs), want)
	}
	for i, tx := range txs {
		if tx.Statements != statements || tx.RolledBack {
			t.Errorf("batch %d: %d statements (rolled back: %v), want %d whatever its size: %q",
				i, tx.Statements, tx.RolledBack, statements, tx.Queries)
		}
	}
}

// holdChainLock begins a transaction on db that holds the tenant's audit
// chain lock (auditLockClass in audit.go) until it ends.
func holdChainLock(t *testing.T, db *sqlx.DB, tenant uuid.UUID) *sqlx.Tx {
	t.Helper()
	hold, err := db.BeginTxx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hold.Rollback() })
	if _, err := hold.ExecContext(t.Context(), `SELECT pg_advisory_xact_lock($1, hashtext($2))`, 0x1d5_0002, tenant.String()); err != nil {
		t.Fatal(err)
	}
	return hold
}

// advisoryWaiters is the query counting the waits for an advisory lock in
// the current database.
const advisoryWaiters = `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
	AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`
