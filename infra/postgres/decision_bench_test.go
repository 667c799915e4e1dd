package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// BenchmarkDecide: the server's CPU for the decision on a check's event,
// over one connection, when another check of the session is pending
// (every check's event but the last of a session's), when it decides the
// session (the last), and when the session is decided already (an event
// delivered again); server-µs/op is postgres.ServerCPU's, from /proc. Run
// with: go test -run '^$' -bench Decide -benchtime 2000x ./infra/postgres
// (DB).
func BenchmarkDecide(b *testing.B) {
	ctx := context.Background()
	db, _, name := benchDB(b)
	db.SetMaxOpenConns(1)
	f := &wipeFixture{db: sqlx.NewDb(db, "postgres"), now: time.Now().UTC().Truncate(time.Microsecond)}
	tenant := f.newTenant(b)
	decisions := postgres.NewDecisions(db)
	// submitted makes n sessions whose document check has its result,
	// submitted with checks.
	submitted := func(n int, checks string) []uuid.UUID {
		ids := make([]uuid.UUID, n)
		for i := range ids {
			ids[i] = f.newSession(b, tenant)
			f.exec(b, `UPDATE sessions SET status = $2, checks = $3, submitted_at = now() WHERE session_id = $1`,
				ids[i], idv.StatusSubmitted, checks)
		}
		return ids
	}
	// decide decides the session id.
	decide := func(id uuid.UUID) (idv.Decided, error) {
		return decisions.Decide(ctx, tenant, id, f.now, idv.DecideByOutcomes(tenant, id, f.now))
	}
	for _, c := range []struct {
		name, checks string
		fresh        bool // a session of its own for each call
		decidedFirst bool // the session decided before the calls
		want         func(idv.Decided) bool
	}{
		{"pending", "{" + schemas.CheckDocument + ",face,liveness}", false, false, func(d idv.Decided) bool { return len(d.Pending) == 2 }},
		{"deciding", "{" + schemas.CheckDocument + "}", true, false, func(d idv.Decided) bool { return d.New }},
		{"decided", "{" + schemas.CheckDocument + "}", false, true, func(d idv.Decided) bool { return !d.New && d.Decision != "" }},
	} {
		b.Run(c.name, func(b *testing.B) {
			n := 1
			if c.fresh {
				n = b.N
			}
			ids := submitted(n, c.checks)
			if c.decidedFirst {
				if _, err := decide(ids[0]); err != nil {
					b.Fatal(err)
				}
			}
			// What the setup left to vacuum is not the calls' work.
			f.exec(b, `VACUUM (ANALYZE) sessions, check_results, outbox`)
			meter, err := postgres.StartServerCPU(ctx, db, name)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				id := ids[i%len(ids)]
				d, err := decide(id)
				if err != nil {
					b.Fatal(err)
				}
				if !c.want(d) {
					b.Fatalf("%s: %+v", c.name, d)
				}
			}
			b.StopTimer()
			s, err := meter.Seconds(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(s*1e6/float64(b.N), "server-µs/op")
		})
	}
}
