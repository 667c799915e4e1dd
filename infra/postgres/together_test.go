package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgcount"
	"github.com/idv-oss/idv/schemas"
)

// TestReadTogether: the reads a Together makes in its tenant's scope over
// its pool are one transaction; a read of another tenant or over another
// pool inside it is a transaction of its own (and sees its own scope); a
// write inside it fails and leaves nothing.
func TestReadTogether(t *testing.T) {
	t.Parallel()
	f := setupWipes(t)
	ctx := t.Context()
	db, count := countedPool(t, f.url, "main")
	var err error
	other, err := postgres.Open(ctx, f.url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	sessions, results, reads := postgres.NewSessions(db), postgres.NewResults(db), postgres.NewReads(db)
	otherTenant := f.newSession(t, f.other)
	count.Reset()

	var caps []idv.Capture
	var list []idv.Result
	err = reads.Together(ctx, f.tenant, func(ctx context.Context) error {
		if _, err := sessions.Get(ctx, f.tenant, f.session); err != nil {
			return err
		}
		if caps, err = sessions.Captures(ctx, f.tenant, f.session); err != nil {
			return err
		}
		if list, err = results.List(ctx, f.tenant, f.session); err != nil {
			return err
		}
		if _, err := sessions.Get(ctx, f.other, otherTenant); err != nil {
			return err // another tenant: a transaction of its own
		}
		_, err := postgres.NewSessions(other).Get(ctx, f.tenant, f.session) // another pool
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(caps) != f.captures || len(list) != 1 {
		t.Fatalf("read %d captures and %d results, want %d and 1", len(caps), len(list), f.captures)
	}
	// BEGIN READ ONLY, the scope's two SET LOCALs, 3 reads, COMMIT; and
	// the other tenant's BEGIN, scope (2), read, COMMIT.
	if txs := count.Txs(); len(txs) != 2 || txs[0].Statements+txs[1].Statements != 7+5 {
		t.Errorf("%d transactions counted on the pool: %+v; want the group's and the other tenant's", len(txs), txs)
	}

	err = reads.Together(ctx, f.tenant, func(ctx context.Context) error {
		return sessions.DeclareCaptures(ctx, f.tenant, f.session, []idv.Capture{{SessionID: f.session, TenantID: f.tenant,
			Kind: schemas.DocumentBack, ObjectKey: "k", Size: 1, SHA256: make([]byte, 32)}})
	})
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("a write inside a read group: %v, want it refused as read-only", err)
	}
	if caps, err := sessions.Captures(ctx, f.tenant, f.session); err != nil || len(caps) != f.captures {
		t.Fatalf("after the refused write: %d captures, %v; want %d", len(caps), err, f.captures)
	}
}

// TestChangeTogether: a change group's calls — a read, a change that
// appends to the outbox and its audit entry, a read group inside it — are
// one read-write transaction; the relay of this process is woken after its
// commit, not after the call that appended; a group that fails leaves
// nothing of its calls; a change group inside a read group is refused.
func TestChangeTogether(t *testing.T) {
	t.Parallel()
	f := setupWipes(t)
	ctx := t.Context()
	db, count := countedPool(t, f.url, "main")
	var err error
	sessions, groups := postgres.NewSessions(db), postgres.NewReads(db)
	woken := 0
	defer postgres.RegisterRelay(f.url, func() { woken++ })()
	count.Reset()

	request := func(ctx context.Context, id uuid.UUID) error {
		return idv.RequestWipe(ctx, sessions, f.tenant, id, schemas.WipeCustomerRequest, f.now)
	}
	var after idv.Session
	err = groups.ChangeTogether(ctx, f.tenant, func(ctx context.Context) error {
		if err := request(ctx, f.session); err != nil {
			return err
		}
		if woken != 0 {
			return fmt.Errorf("the relay was woken before the group committed")
		}
		return groups.Together(ctx, f.tenant, func(ctx context.Context) error {
			after, err = sessions.Get(ctx, f.tenant, f.session)
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if after.WipeRequestedAt == nil || woken != 1 {
		t.Fatalf("read back in the group: wipe requested %v; relay woken %d times; want the request seen and 1", after.WipeRequestedAt, woken)
	}
	if txs := count.Txs(); len(txs) != 1 || txs[0].Statements < 6 {
		t.Errorf("counted %+v: want one transaction holding the reads, the change and its outbox and audit rows", txs)
	}

	second := f.newSession(t, f.tenant)
	failed := errors.New("the request's answer failed")
	err = groups.ChangeTogether(ctx, f.tenant, func(ctx context.Context) error {
		if err := request(ctx, second); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("a failing group: %v, want its error", err)
	}
	if s, err := sessions.Get(ctx, f.tenant, second); err != nil || s.WipeRequestedAt != nil || woken != 1 {
		t.Fatalf("after a failed group: wipe requested %v (%v), relay woken %d times; want nothing of it and 1", s.WipeRequestedAt, err, woken)
	}
	var outbox []int
	for _, id := range []uuid.UUID{f.session, second} {
		var n int
		if err := f.db.Get(&n, `SELECT count(*) FROM outbox WHERE body::text LIKE '%' || $1 || '%'`, id.String()); err != nil {
			t.Fatal(err)
		}
		outbox = append(outbox, n)
	}
	if outbox[0] != 1 || outbox[1] != 0 {
		t.Fatalf("outbox rows of the group and of the failed one: %v; want 1 and 0", outbox)
	}

	err = groups.Together(ctx, f.tenant, func(ctx context.Context) error {
		return groups.ChangeTogether(ctx, f.tenant, func(ctx context.Context) error { return request(ctx, second) })
	})
	if err == nil || !strings.Contains(err.Error(), "inside reads together") {
		t.Fatalf("a change group inside a read group: %v, want it refused", err)
	}
}

// countedPool opens a pool on url whose statements count (tapped as name),
// closed when t ends.
func countedPool(t *testing.T, url, name string) (*sql.DB, *pgcount.Counter) {
	t.Helper()
	count := pgcount.New()
	db, err := postgres.Open(t.Context(), url, postgres.WithTap(count.Tap(name)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, count
}

// TestChangeGroupsOfOneTenantCommitTogether: the ChangeTogether groups of a
// tenant that arrive while one of its groups waits (here, for the chain
// lock the test holds) run in the next batch's one transaction, each in a
// savepoint: one that fails undoes its own part only, one that finds
// nothing is not found, and the others commit together with their audit
// entries under one hold of the chain's lock, each naming its own caller.
func TestChangeGroupsOfOneTenantCommitTogether(t *testing.T) {
	t.Parallel()
	f := setupWipes(t)
	ctx := t.Context()
	counted, count := countedPool(t, f.url, "main")
	groups, sessions, audit := postgres.NewReads(counted), postgres.NewSessions(counted), postgres.NewAudit(f.db.DB)
	const n, undone, missing = 6, 2, 4
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = f.newSession(t, f.tenant)
	}
	ids[missing] = uuid.New()
	undo := errors.New("undo")
	erase := func(i int) error {
		asKey := idv.WithActor(ctx, idv.ActorAPIKey(fmt.Sprintf("key%d", i)))
		return groups.ChangeTogether(asKey, f.tenant, func(ctx context.Context) error {
			if err := idv.RequestWipe(ctx, sessions, f.tenant, ids[i], schemas.WipeCustomerRequest, f.now); err != nil {
				return err
			}
			if s, err := sessions.Get(ctx, f.tenant, ids[i]); err != nil || s.WipeRequestedAt == nil {
				return fmt.Errorf("read back %d: %v, wipe requested at %v", i, err, s.WipeRequestedAt)
			}
			if i == undone {
				return undo
			}
			return nil
		})
	}

	hold := holdChainLock(t, f.db, f.tenant)
	errs := make([]error, n)
	queueBehind(t, hold, n, func(i int) { errs[i] = erase(i) },
		func() bool { return f.count(t, advisoryWaiters) > 0 },
		func() int { return postgres.ChangesQueued(groups, f.tenant) }, nil)
	for i, err := range errs {
		switch {
		case i == undone && !errors.Is(err, undo), i == missing && !errors.Is(err, idv.ErrNotFound):
			t.Errorf("group %d: %v, want its own failure", i, err)
		case i != undone && i != missing && err != nil:
			t.Errorf("group %d: %v", i, err)
		}
	}
	for i, id := range ids {
		requested := f.count(t, `SELECT count(*) FROM sessions WHERE session_id = $1 AND wipe_requested_at IS NOT NULL`, id)
		if want := map[bool]int{true: 0, false: 1}[i == undone || i == missing]; requested != want {
			t.Errorf("session %d: %d wipe requests, want %d", i, requested, want)
		}
	}
	entries, err := audit.List(ctx, f.tenant, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	actors := map[uuid.UUID]string{}
	for _, e := range entries {
		if e.Action == idv.AuditErasureRequested {
			actors[*e.SessionID] = e.Actor
		}
	}
	for i, id := range ids {
		if want := idv.ActorAPIKey(fmt.Sprintf("key%d", i)); i != undone && i != missing && actors[id] != want {
			t.Errorf("session %d: erasure recorded by %q, want %q", i, actors[id], want)
		}
	}
	if len(actors) != n-2 {
		t.Errorf("%d erasures recorded, want %d", len(actors), n-2)
	}
	if got, err := audit.Verify(ctx, f.tenant); err != nil || got != len(entries) {
		t.Fatalf("Verify: %d entries, %v; want %d", got, err, len(entries))
	}
	// The first group alone, then the other five in one transaction: one
	// savepoint each, one hold of the chain's lock, one commit.
	var batches []pgcount.Tx
	for _, tx := range count.Txs() {
		if tx.Explicit && slices.Contains(tx.Queries, "SELECT pg_advisory_xact_lock($1, hashtext($2))") {
			batches = append(batches, tx)
		}
	}
	if len(batches) != 2 {
		t.Fatalf("%d transactions took the chain's lock, want 2", len(batches))
	}
	if second := batches[1]; second.RolledBack || countOf(second.Queries, "SAVEPOINT group_call") != n-1 ||
		countOf(second.Queries, "ROLLBACK TO SAVEPOINT group_call") != 2 {
		t.Errorf("the second batch: rolled back %v, queries %q; want %d savepoints, 2 undone", second.RolledBack, second.Queries, n-1)
	}
}

func countOf(qs []string, q string) int {
	n := 0
	for _, s := range qs {
		if s == q {
			n++
		}
	}
	return n
}

// TestChangeGroupRetriedAloneAfterADeadlock: a batch locks its groups'
// sessions one group after another; a transaction that holds one of them
// and then wants another the batch holds deadlocks with it. PostgreSQL
// breaks the cycle by failing the batch's waiting group (the other
// transaction's deadlock_timeout is set past the batch's); that group is
// undone and run again alone once the batch committed, and every caller
// succeeds.
func TestChangeGroupRetriedAloneAfterADeadlock(t *testing.T) {
	t.Parallel()
	f := setupWipes(t)
	ctx := t.Context()
	groups, sessions := postgres.NewReads(f.db.DB), postgres.NewSessions(f.db.DB)
	ids := []uuid.UUID{f.session, f.newSession(t, f.tenant), f.newSession(t, f.tenant)} // the first leads; a, b
	a, b := ids[1], ids[2]
	lockRow := `SELECT 1 FROM sessions WHERE session_id = $1 FOR UPDATE`
	other, err := f.db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	var xid string
	if err := other.GetContext(ctx, &xid, `SELECT pg_current_xact_id()::text`); err != nil {
		t.Fatal(err)
	}
	// Whichever backend's deadlock_timeout passes first breaks the cycle by
	// failing itself: other waits longer, so it is the batch's group.
	if _, err := other.ExecContext(ctx, `SET LOCAL deadlock_timeout = '30s'`); err != nil {
		t.Fatalf("the test's login sets deadlock_timeout (a superuser's setting): %v", err)
	}
	if _, err := other.ExecContext(ctx, lockRow, b); err != nil {
		t.Fatal(err)
	}

	// The lead waits for the chain lock the test holds; a, then b, queue
	// behind it, in that order, for the next batch.
	hold := holdChainLock(t, f.db, f.tenant)
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			errs[i] = groups.ChangeTogether(ctx, f.tenant, func(ctx context.Context) error {
				return idv.RequestWipe(ctx, sessions, f.tenant, ids[i], schemas.WipeCustomerRequest, f.now)
			})
		})
		if i == 0 {
			poll(func() bool { return f.count(t, advisoryWaiters) > 0 })
		} else {
			poll(func() bool { return postgres.ChangesQueued(groups, f.tenant) >= i })
		}
	}
	// Once the lead's batch committed, the batch of a and b locks a, then
	// waits for b; other then wants a.
	if err := hold.Rollback(); err != nil {
		t.Fatal(err)
	}
	poll(func() bool { return f.count(t, lockWaiters, xid) > 0 })
	otherDone := make(chan error, 1)
	go func() {
		_, err := other.ExecContext(ctx, lockRow, a)
		if err == nil {
			err = other.Commit()
		}
		otherDone <- err
	}()
	wg.Wait()
	if err := <-otherDone; err != nil {
		t.Fatalf("the other transaction: %v", err)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("group %d: %v", i, err)
		}
	}
	for i, id := range ids {
		if n := f.count(t, `SELECT count(*) FROM sessions WHERE session_id = $1 AND wipe_requested_at IS NOT NULL`, id); n != 1 {
			t.Errorf("session %d: %d wipe requests, want 1", i, n)
		}
	}
}
