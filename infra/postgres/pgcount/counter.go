// Package pgcount counts what IDV sends to PostgreSQL: transactions,
// statements and network round trips, each transaction labelled with the
// store method and the stage that ran it. Tests open their pools through a
// Counter (postgres.WithTap) and assert ceilings on the counts: a count, not
// a timing, so it holds on a loaded machine (docs/measurements.md, "Round
// trips per verification").
package pgcount

import (
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// Tx is one server transaction: a BEGIN … COMMIT (or ROLLBACK), or a
// statement sent outside one, which PostgreSQL runs as a transaction of its
// own.
type Tx struct {
	// DB is the name the pool was tapped under ("main", "keys").
	DB string
	// Store is the outermost function of IDV's adapters (infra/postgres,
	// infra/vault) on the stack that began the transaction, without the
	// module path: "postgres.(*Sessions).Get". Empty when none was.
	Store string
	// Stage is the package under consumers/ or producers/ nearest the
	// store call on that stack ("producers/api", "consumers/wipe"), or
	// "other" (a goroutine of its own, the test itself).
	Stage string
	// Func is the function of Stage's package nearest the store call:
	// "producers/api.(*Server).createSession".
	Func string
	// Statements counts every command the server ran: BEGIN, each query
	// (each command of a scope's entry too), COMMIT or ROLLBACK.
	Statements int
	// RoundTrips counts the times the client sent and then waited for the
	// server, as seen on the socket. lib/pq sends a statement without
	// parameters in one; with parameters it takes two (Parse/Describe, then
	// Bind/Execute).
	RoundTrips int
	// RolledBack is set when the transaction ended with ROLLBACK.
	RolledBack bool
	// Explicit is set for BEGIN … COMMIT, unset for a lone statement.
	Explicit bool
	// Queries are the statements' texts, BEGIN and COMMIT left out.
	Queries []string
	// Args are each query's arguments, in Queries' order: what an EXPLAIN
	// of the statement as it ran needs.
	Args [][]any
	// End is when the transaction ended.
	End time.Time
}

// Counter collects the transactions of the pools tapped with it. It is safe
// for concurrent use.
type Counter struct {
	mu       sync.Mutex
	txs      []Tx
	connects int
}

// New returns an empty Counter.
func New() *Counter { return &Counter{} }

// Reset forgets what was counted so far.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.txs, c.connects = nil, 0
}

// Txs returns the transactions that ended since the last Reset, in the
// order they ended.
func (c *Counter) Txs() []Tx {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.txs)
}

// Connects returns how many connections the pools opened since the last
// Reset (their start-up round trips are not in any Tx).
func (c *Counter) Connects() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connects
}

func (c *Counter) add(tx Tx) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tx.End = time.Now()
	c.txs = append(c.txs, tx)
}

func (c *Counter) connected() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.connects++
}

// Totals are counts summed over transactions.
type Totals struct {
	Transactions, Statements, RoundTrips int
}

// Sum adds up txs.
func Sum(txs []Tx) Totals {
	var t Totals
	for _, tx := range txs {
		t.Transactions++
		t.Statements += tx.Statements
		t.RoundTrips += tx.RoundTrips
	}
	return t
}

// By sums txs per key.
func By(txs []Tx, key func(Tx) string) map[string]Totals {
	out := map[string]Totals{}
	for _, tx := range txs {
		t := out[key(tx)]
		t.Transactions++
		t.Statements += tx.Statements
		t.RoundTrips += tx.RoundTrips
		out[key(tx)] = t
	}
	return out
}

const module = "github.com/idv-oss/idv/"

// label names the store method and the stage on the calling goroutine's
// stack.
func label() (store, stage, fn string) {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	stage = "other"
	inStore := false
	for {
		f, more := frames.Next()
		name, ok := strings.CutPrefix(f.Function, module)
		switch {
		case !ok || strings.HasPrefix(name, "infra/postgres/pgcount."):
		case strings.HasPrefix(name, "infra/postgres.") || strings.HasPrefix(name, "infra/vault."):
			if store == "" || inStore {
				store = strings.TrimPrefix(name, "infra/")
				inStore = true
			}
		default:
			inStore = false
			if pkg, ok := stagePackage(name); ok {
				return store, pkg, name
			}
		}
		if !more {
			return store, stage, ""
		}
	}
}

// stagePackage returns "consumers/doccheck" for
// "consumers/doccheck.(*Stage).Handle"; consumers/stage, the shared consume
// loop, is no stage of its own.
func stagePackage(fn string) (string, bool) {
	if !strings.HasPrefix(fn, "consumers/") && !strings.HasPrefix(fn, "producers/") {
		return "", false
	}
	dir, rest, _ := strings.Cut(fn, "/")
	pkg, _, _ := strings.Cut(rest, ".")
	if pkg == "stage" && dir == "consumers" {
		return "", false
	}
	return dir + "/" + pkg, true
}
