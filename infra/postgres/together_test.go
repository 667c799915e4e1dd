package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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
	// BEGIN READ ONLY, the scope, 3 reads, COMMIT; and the other
	// tenant's BEGIN, scope, read, COMMIT.
	if txs := count.Txs(); len(txs) != 2 || txs[0].Statements+txs[1].Statements != 6+4 {
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
