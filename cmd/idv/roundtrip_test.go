package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv/infra/loadgen"
	"github.com/idv-oss/idv/infra/postgres/pgcount"
	"github.com/idv-oss/idv/schemas"
)

// Today's counts per tiny verification, end to end with its wipe
// (TestRoundTripsPerVerification, 2026-12-07), as ceilings: a change that
// adds a transaction, a statement or a round trip to the path fails the
// test, and one that removes some should lower them. The API, the check,
// the decision and the notifier take the same in every run: 24
// transactions and 118 statements (the erasure's request and read back are
// one transaction, postgres.Reads.ChangeTogether; 26 and 125 before; the
// erasure no longer reads the session before the store locks it, 119
// before); the wipe at most 3 transactions and
// 16 statements (the key's destruction returns what the wipe reads, its
// final transactions are batched per tenant, and the erasures run side by
// side; 6 and 26 before the read was folded into it); the relay claims the 5 outbox rows
// in 3.8 to 5 batches, as they happen to arrive together, each 1
// transaction of 5 statements. A commit that appends to the outbox wakes
// the relay of the same process directly, without NOTIFY (4 transactions
// and statements fewer here, and the wipe's one; before 2026-12-07: 30
// and 129, the wipe 4 and 17). These statement counts take a scope's
// entry as one command, as it was until 2026-12-07: since then a tenant's
// is two (SET LOCAL of the role and of the tenant, cheaper for the server
// than one SELECT of both set_configs), one more statement in each of the
// 17 transactions in a tenant's scope (15 of the API, check, decision and
// notifier, the wipe's 2). Every statement is one round trip
// (postgres.Open sets binary_parameters) but a scope's entry, which
// goes in its BEGIN's (the 28 transactions in a tenant's or the system's
// scope: all but the key store's 4 statements), and a statement with
// parameters one more the first time a pool connection runs it (it is
// prepared then: 10 to 14 per verification over these 5, fewer as the
// connections warm; the ceiling allows 20). The face match and liveness
// stages, when configured (IDV_FACE_DIR, as go tool task test sets it),
// skip a document-only verification on its event without reading
// anything. Before issue 20's work: 65 transactions, 272 statements, 368
// round trips; before the scope went with the BEGIN, 179 round trips. Its
// target is at most 6 transactions (docs/measurements.md, "Round trips
// per verification").
const (
	maxTxPerVerification         = 24 + 3 + 5*1
	scopedTxPerVerification      = 28
	tenantTxPerVerification      = 17
	maxStatementsPerVerification = 118 + 16 + 5*5 + tenantTxPerVerification
	maxRoundTripsPerVerification = 118 + 16 + 5*5 - scopedTxPerVerification + 20
)

// TestRoundTripsPerVerification runs tiny verifications one after another
// as idv loadgen -mode tiny does (create, upload policies, uploads, submit,
// document check, decision, webhook), then erases each (DELETE, wipe,
// session.deleted webhook), and counts what the system's pools sent to
// PostgreSQL, the main database and the key store. It logs the counts per
// stage and store method and fails when a verification takes more
// transactions or statements than today's ceilings. The relay's timer
// (empty claims and the backlog read after each, the prune) is left out:
// it runs whether or not anyone verifies.
func TestRoundTripsPerVerification(t *testing.T) {
	const n = 5
	count := pgcount.New()
	s := startSystemWith(t, systemOptions{noImageChecks: true, count: count})
	w, err := loadgen.Tiny()
	if err != nil {
		t.Fatal(err)
	}
	cfg := loadgen.Config{APIURL: s.apiURL, APIKey: s.tenant.APIKey, Checks: w.Checks, Concurrency: 1,
		Captures: w.Captures, Await: s.rcv.Arrival, Progress: io.Discard}
	verify := func(n int) {
		t.Helper()
		cfg.N = n
		samples, elapsed, err := loadgen.Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if r := loadgen.Summarise(samples, elapsed); r.Failed != 0 || r.Decisions[schemas.DecisionApproved] != n {
			t.Fatalf("report %+v", r)
		}
		ids := make([]string, 0, len(samples))
		for _, smp := range samples {
			ids = append(ids, smp.SessionID)
		}
		if _, err := loadgen.Wipe(context.Background(), cfg, ids); err != nil {
			t.Fatalf("wipe: %v", err)
		}
		quiet(t, count)
	}
	// The first verification fills the pools and the caches (the epoch
	// key, the tenant's policy); the later ones are what each costs.
	verify(1)
	count.Reset()
	verify(n)

	var txs, timer []pgcount.Tx
	for _, tx := range count.Txs() {
		if periodic(tx) {
			timer = append(timer, tx)
			continue
		}
		txs = append(txs, tx)
	}
	total := pgcount.Sum(txs)
	t.Logf("per tiny verification (%d, one at a time, with the wipe): %.1f transactions, %.1f statements, %.1f round trips; "+
		"left out, the relay's timer: %d transactions in the run; connections opened: %d",
		n, per(total.Transactions, n), per(total.Statements, n), per(total.RoundTrips, n), len(timer), count.Connects())
	logTable(t, "by stage", pgcount.By(txs, func(tx pgcount.Tx) string { return tx.Stage }), n)
	logTable(t, "by stage and store method", pgcount.By(txs, func(tx pgcount.Tx) string {
		return tx.Stage + "  " + tx.DB + ":" + orElse(tx.Store, "(outside the stores)")
	}), n)
	logTable(t, "by function of the stage", pgcount.By(txs, func(tx pgcount.Tx) string {
		return orElse(tx.Func, tx.Stage) + "  " + tx.DB + ":" + orElse(tx.Store, "(outside the stores)")
	}), n)
	// Queries in a loop: the same statement more than once in one
	// transaction, logged once per store method.
	loops := map[string]string{}
	for _, tx := range txs {
		if d := repeatedQuery(tx.Queries); d != "" {
			loops[tx.Store] = d
		}
	}
	for _, store := range slices.Sorted(maps.Keys(loops)) {
		t.Logf("%s runs a statement more than once in one transaction: %s", store, loops[store])
	}
	// The tenant's audit chain lock is held from its statement to the
	// commit, and every append of the tenant waits for it: nothing but the
	// append may run under it (postgres.appendAudits).
	for _, tx := range txs {
		if after := afterChainLock(tx.Queries); after != "" {
			t.Errorf("%s (%s) runs a statement under the tenant's audit chain lock: %s", tx.Store, tx.Func, after)
		}
	}

	maxTx, maxStatements, maxRoundTrips := maxTxPerVerification, maxStatementsPerVerification, maxRoundTripsPerVerification
	if total.Transactions > maxTx*n {
		t.Errorf("%d transactions for %d verifications: more than today's %d each", total.Transactions, n, maxTx)
	}
	if total.Statements > maxStatements*n {
		t.Errorf("%d statements for %d verifications: more than today's %d each", total.Statements, n, maxStatements)
	}
	if total.RoundTrips > maxRoundTrips*n {
		t.Errorf("%d round trips for %d verifications: more than today's %d each", total.RoundTrips, n, maxRoundTrips)
	}
}

// periodic reports whether the relay's timers, rather than a verification,
// caused tx: a claim that found nothing to publish (it rolls back), the
// backlog gauges' read or the prune of published rows.
func periodic(tx pgcount.Tx) bool {
	switch tx.Store {
	case "postgres.(*Outbox).PublishBatch":
		return tx.RolledBack
	case "postgres.(*Outbox).Stats", "postgres.(*Outbox).Prune":
		return true
	}
	return false
}

// quiet waits until nothing but the relay's timer has reached the database
// for a second: the last webhook's delivery is recorded after it arrived.
func quiet(t *testing.T, count *pgcount.Counter) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		txs := count.Txs()
		last := time.Time{}
		for _, tx := range txs {
			if !periodic(tx) && tx.End.After(last) {
				last = tx.End
			}
		}
		if time.Since(last) > time.Second {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the database did not fall quiet within 30 s")
}

func logTable(t *testing.T, title string, rows map[string]pgcount.Totals, n int) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s, per verification:\n%-90s %6s %6s %6s\n", title, "", "tx", "stmts", "trips")
	for _, k := range slices.Sorted(maps.Keys(rows)) {
		r := rows[k]
		fmt.Fprintf(&b, "%-90s %6.1f %6.1f %6.1f\n", k, per(r.Transactions, n), per(r.Statements, n), per(r.RoundTrips, n))
	}
	t.Log(b.String())
}

func per(total, n int) float64 { return float64(total) / float64(n) }

func orElse(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

// afterChainLock returns the first statement of qs, after the audit chain's
// lock, that is not the append's own (the head read, the INSERT), or "".
func afterChainLock(qs []string) string {
	locked := false
	for _, q := range qs {
		switch {
		case strings.Contains(q, "pg_advisory_xact_lock"):
			locked = true
		case !locked, strings.Contains(q, "FROM audit_events WHERE tenant_id"), strings.HasPrefix(q, "INSERT INTO audit_events"):
		default:
			return q
		}
	}
	return ""
}

// repeatedQuery returns the first statement that appears more than once in qs.
func repeatedQuery(qs []string) string {
	seen := map[string]bool{}
	for _, q := range qs {
		if strings.HasPrefix(q, "SET LOCAL ") {
			continue
		}
		if seen[q] {
			return strings.Join(strings.Fields(q), " ")
		}
		seen[q] = true
	}
	return ""
}
