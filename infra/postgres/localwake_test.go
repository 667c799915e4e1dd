package postgres_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgcount"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
)

// TestOutboxCommitsWakeTheLocalRelay: with a relay of this process on the
// pool's database, an outbox commit's wake calls it and sends nothing to
// the server; without one (another database, or once it is gone), the
// wake is one NOTIFY. An OutboxListener registers its relay while it
// listens.
func TestOutboxCommitsWakeTheLocalRelay(t *testing.T) {
	ctx := t.Context()
	count := pgcount.New()
	url, other := pgtest.NewURL(t), pgtest.NewURL(t)
	db, err := postgres.Open(ctx, url, postgres.WithTap(count.Tap("main")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	elsewhere, err := postgres.Open(ctx, other, postgres.WithTap(count.Tap("other")))
	if err != nil {
		t.Fatal(err)
	}
	defer elsewhere.Close()
	notifies := func() int {
		n := 0
		for _, tx := range count.Txs() {
			for _, q := range tx.Queries {
				if strings.HasPrefix(q, "SELECT pg_notify") {
					n++
				}
			}
		}
		count.Reset()
		return n
	}
	notifies()

	woken := 0
	unregister := postgres.RegisterRelay(url, func() { woken++ })
	postgres.WakeRelay(ctx, db)
	if n := notifies(); woken != 1 || n != 0 {
		t.Errorf("with a local relay: woken %d times, %d notifications sent; want 1 and 0", woken, n)
	}
	postgres.WakeRelay(ctx, elsewhere)
	if n := notifies(); woken != 1 || n != 1 {
		t.Errorf("a commit on another database: local relay woken %d times, %d notifications; want 1 and 1", woken, n)
	}
	unregister()
	postgres.WakeRelay(ctx, db)
	if n := notifies(); woken != 1 || n != 1 {
		t.Errorf("after the relay went: woken %d times, %d notifications; want 1 and 1", woken, n)
	}

	ready := make(chan struct{})
	stop := postgres.NewOutboxListener(url, 0, 0, slog.New(slog.DiscardHandler)).Listen(func() {}, func() { close(ready) })
	<-ready
	postgres.WakeRelay(ctx, db)
	if n := notifies(); n != 0 {
		t.Errorf("with a listening relay: %d notifications, want 0", n)
	}
	stop()
	postgres.WakeRelay(ctx, db)
	if n := notifies(); n != 1 {
		t.Errorf("after the listener stopped: %d notifications, want 1", n)
	}
}

// TestDatabaseNames: connection strings name their database by host, port
// and name, in URL or key=value form; what names none, or is quoted, has
// no name (its relay is woken by NOTIFY).
func TestDatabaseNames(t *testing.T) {
	same := []string{
		"postgres://idv@127.0.0.1:5432/idv?sslmode=disable",
		"postgresql://other:secret@127.0.0.1:5432/idv?role=idv_app",
		"host=127.0.0.1 port=5432 dbname=idv user=idv",
		"postgres://idv@/idv?host=127.0.0.1&port=5432",
	}
	for _, dsn := range same[1:] {
		if postgres.Database(dsn) != postgres.Database(same[0]) || postgres.Database(dsn) == "" {
			t.Errorf("%q names %q, want %q", dsn, postgres.Database(dsn), postgres.Database(same[0]))
		}
	}
	for _, dsn := range []string{"postgres://idv@127.0.0.1:5433/idv", "postgres://idv@127.0.0.1:5432/idv2",
		"postgres://idv@localhost:5432/idv"} {
		if postgres.Database(dsn) == postgres.Database(same[0]) {
			t.Errorf("%q names the same database as %q", dsn, same[0])
		}
	}
	for _, dsn := range []string{"", "sslmode=disable", "host='a b' dbname=x", "postgres://%zz"} {
		if got := postgres.Database(dsn); got != "" {
			t.Errorf("%q names %q, want none", dsn, got)
		}
	}
}
