package postgres_test

import (
	"context"
	"strings"
	"testing"

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
	count := pgcount.New()
	db, err := postgres.Open(ctx, f.url, postgres.WithTap(count.Tap("main")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
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
