package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// Row-level security (migration 016, docs/design.md invariant 5). Every store
// method runs its statements in a transaction that first names its scope:
//
//   - a tenant: the transaction acts as AppRole with idv.tenant_id set, and
//     row-level security lets it see, change and add only that tenant's rows
//     — a query that forgets its tenant filter finds nothing of another's;
//   - the system scope: the transaction acts as SystemRole, which sees
//     every row, for the few jobs that must look across tenants. Each store
//     keeps its uses of it together and docs/processor-duties.md lists them all.
//
// Both settings are transaction-local (SET LOCAL), so a pooled
// connection never carries a tenant or the system scope into the next
// transaction. The stores set the role themselves, so they are held to the
// policies even over a connection of the tables' owner (a superuser is
// not: services open their pool with OpenApp, whose connections are
// AppRole from the start).

// The roles migration 016 creates.
const (
	AppRole    = "idv_app"
	SystemRole = "idv_system"
)

// scope is whose rows a transaction works on: one tenant, or (system) all.
type scope struct {
	tenant uuid.UUID
	system bool
}

// tenantScope is the scope of tenant id's rows.
func tenantScope(id uuid.UUID) scope { return scope{tenant: id} }

// systemScope is the scope of every tenant's rows.
var systemScope = scope{system: true}

// entryQuery is what enters sc: SET LOCAL of the role and, for a tenant,
// of idv.tenant_id, one command each. SET is a utility command: the server
// runs it without the planner, executor and result row that a SELECT of
// set_config(…, true) takes, the same settings for 16–31 µs less of its
// CPU per transaction (BenchmarkScopeEntry; docs/measurements.md, "The
// scope entered with SET LOCAL").
func (sc scope) entryQuery() (string, error) {
	if sc.system {
		return `SET LOCAL role ` + SystemRole, nil
	}
	if sc.tenant == uuid.Nil {
		return "", fmt.Errorf("postgres: a transaction without a tenant")
	}
	// SET takes no parameters: the tenant goes in as a literal, which also
	// lets the commands share the BEGIN's simple query (beginScoped), and
	// uuid.UUID.String() is only hex digits and dashes.
	return `SET LOCAL role ` + AppRole + `; SET LOCAL idv.tenant_id = '` + sc.tenant.String() + `'`, nil
}

// String names sc in errors.
func (sc scope) String() string {
	if sc.system {
		return "the system scope"
	}
	return "the scope of tenant " + sc.tenant.String()
}

// enter sets the scope for the rest of tx, in one round trip.
func (sc scope) enter(ctx context.Context, tx *sqlx.Tx) error {
	q, err := sc.entryQuery()
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("postgres: enter %s: %w", sc, err)
	}
	return nil
}

// beginScoped opens a transaction with opts (nil: read-write) and enters
// sc. Over this package's pools (preparingConn) the BEGIN and the scope's
// SET LOCAL commands go to the server as one simple query, in one round
// trip; over another driver the scope is entered by a simple query of its own.
func beginScoped(ctx context.Context, db *sqlx.DB, sc scope, opts *sql.TxOptions) (*sqlx.Tx, error) {
	q, err := sc.entryQuery()
	if err != nil {
		return nil, err
	}
	e := &entry{query: q}
	tx, err := db.BeginTxx(context.WithValue(ctx, entryKey{}, e), opts)
	if err != nil {
		return nil, fmt.Errorf("postgres: begin in %s: %w", sc, err)
	}
	if e.sent {
		return tx, nil
	}
	if err := sc.enter(ctx, tx); err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// inTx runs fn in a transaction of scope sc and commits unless fn fails;
// inside Reads.Together in the same scope and pool, fn runs in that
// group's transaction instead.
func inTx(ctx context.Context, db *sqlx.DB, sc scope, fn func(*sqlx.Tx) error) error {
	if tx := shared(ctx, db, sc); tx != nil {
		return fn(tx)
	}
	tx, err := beginScoped(ctx, db, sc, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// inOutboxTx is inTx for a transaction that appends to the outbox: after
// commit it wakes the relay (wakeRelay); inside a ChangeTogether the group
// does, after its commit. Notifying after commit, rather than from a
// trigger inside the transaction, keeps commits from serialising on the
// notification queue lock (measured: 395–480 against 930–1,090 tx/s with
// 4 clients); a lost notification costs only the relay's poll interval.
func inOutboxTx(ctx context.Context, db *sqlx.DB, sc scope, fn func(*sqlx.Tx) error) error {
	if t := sharedGroup(ctx, db, sc); t != nil {
		if err := fn(t.tx); err != nil {
			return err
		}
		t.appended = true // the group wakes the relay after its commit
		return nil
	}
	if err := inTx(ctx, db, sc, fn); err != nil {
		return err
	}
	wakeRelay(ctx, db)
	return nil
}

// waker is the state of one pool's wake-ups of the relay.
type waker struct {
	mu      sync.Mutex
	sending bool // a notification is on its way
	again   bool // a commit came after it began: one more is due
}

// wakers are the pools' wakers, by pool.
var wakers sync.Map // *sql.DB → *waker

// wakeRelay wakes a relay of this process on the same database directly
// (localwake.go); without one, it sends the relays a notification after a
// commit, one at a time per pool: a commit that comes while one is on its
// way leaves it to the sender, which sends one more for all such commits
// once its own is done. Every commit is thus followed by a notification
// sent after it, and under load the relay gets one per batch of commits
// rather than one each (and claims them in one batch).
func wakeRelay(ctx context.Context, db *sqlx.DB) {
	if wakeLocal(db.DB) {
		return
	}
	v, _ := wakers.LoadOrStore(db.DB, &waker{})
	v.(*waker).wake(func() {
		// The commit is done: its notification goes out even if the
		// caller has gone meanwhile, within a bound of its own.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), notifyTimeout)
		defer cancel()
		db.ExecContext(ctx, `SELECT pg_notify($1, '')`, OutboxChannel)
	})
}

// notifyTimeout bounds one notification of the relay.
const notifyTimeout = 5 * time.Second

// wake calls send unless a send is under way; then the one under way
// calls it once more when it is done, for every wake that came meanwhile.
func (w *waker) wake(send func()) {
	w.mu.Lock()
	if w.sending {
		w.again = true
		w.mu.Unlock()
		return
	}
	w.sending = true
	w.mu.Unlock()
	for {
		send()
		w.mu.Lock()
		if !w.again {
			w.sending = false
			w.mu.Unlock()
			return
		}
		w.again = false
		w.mu.Unlock()
	}
}

// scopedGet runs a one-row query in a transaction of scope sc
// (sql.ErrNoRows when there is none, as sqlx's Get).
func scopedGet(ctx context.Context, db *sqlx.DB, sc scope, dest any, query string, args ...any) error {
	return inTx(ctx, db, sc, func(tx *sqlx.Tx) error { return tx.GetContext(ctx, dest, query, args...) })
}

// scopedSelect runs a query into the slice dest in a transaction of scope sc.
func scopedSelect(ctx context.Context, db *sqlx.DB, sc scope, dest any, query string, args ...any) error {
	return inTx(ctx, db, sc, func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, dest, query, args...) })
}

// scopedScan runs a one-row query in a transaction of scope sc and scans
// its columns into dest (sql.ErrNoRows when there is none).
func scopedScan(ctx context.Context, db *sqlx.DB, sc scope, dest []any, query string, args ...any) error {
	return inTx(ctx, db, sc, func(tx *sqlx.Tx) error { return tx.QueryRowContext(ctx, query, args...).Scan(dest...) })
}

// scopedRows is scanRows in a transaction of scope sc.
func scopedRows[T any](ctx context.Context, db *sqlx.DB, sc scope, fields func(*T) []any, query string, args ...any) ([]T, error) {
	var out []T
	err := inTx(ctx, db, sc, func(tx *sqlx.Tx) error {
		var err error
		out, err = scanRows(ctx, tx, fields, query, args...)
		return err
	})
	return out, err
}

// scopedExec runs a statement in a transaction of scope sc.
func scopedExec(ctx context.Context, db *sqlx.DB, sc scope, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := inTx(ctx, db, sc, func(tx *sqlx.Tx) error {
		var err error
		res, err = tx.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// execCount runs a statement in tx and returns how many rows it affected.
func execCount(ctx context.Context, tx *sqlx.Tx, query string, args ...any) (int64, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
