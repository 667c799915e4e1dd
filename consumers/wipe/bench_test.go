package wipe_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/consumers/wipe"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// BenchmarkWipeOneTenant wipes b.N sessions of one tenant through the stage,
// Spec.Concurrency at a time as the stage's consumer runs them, against
// PostgreSQL and the embedded gateway: what `idv loadgen -wipe` measures
// without the broker, the API and the webhook. It reports sessions wiped
// per second and where a wipe's time goes (ms per wipe in each store step;
// waits included, so under contention they add up to more than the wall
// time per session). Run it with a fixed count, e.g.
//
//	go test -run '^$' -bench WipeOneTenant -benchtime 300x -count 3 ./consumers/wipe
func BenchmarkWipeOneTenant(b *testing.B) {
	b.StopTimer()
	bd := setup(b)
	store := &timedStore{WipeStore: bd.wipes}
	objects := &timedDeleter{PrefixDeleter: bd.store}
	st := wipe.New(wipe.Deps{Sessions: store, Objects: objects, Signer: bd.vault, Now: func() time.Time { return bd.now }},
		wipe.Config{})
	events := make([]stage.Event, b.N)
	for i := range events {
		s := bd.intake(b)
		events[i] = bd.requestWipe(b, s.id, schemas.WipeExpired)
	}
	audit := postgres.NewAudit(bd.db.DB)
	before, err := audit.Verify(b.Context(), bd.tenant)
	if err != nil {
		b.Fatal(err)
	}

	work := make(chan stage.Event)
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	b.StartTimer()
	start := time.Now()
	for range wipe.Spec.Concurrency {
		wg.Go(func() {
			for ev := range work {
				if err := st.Handle(b.Context(), ev); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		})
	}
	for _, ev := range events {
		work <- ev
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d wipes failed, the first: %v", n, b.N, firstErr.Load())
	}
	if n := bd.count(b, `SELECT count(*) FROM sessions WHERE tenant_id = $1 AND deleted_at IS NOT NULL`, bd.tenant); n != b.N {
		b.Fatalf("%d sessions deleted, want %d", n, b.N)
	}
	after, err := audit.Verify(b.Context(), bd.tenant)
	if err != nil {
		b.Fatalf("audit chain after %d concurrent wipes: %v", b.N, err)
	}
	if after-before != b.N {
		b.Fatalf("%d audit entries appended by %d wipes", after-before, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "sessions/s")
	perWipe := func(d *atomic.Int64) float64 { return float64(d.Load()) / float64(b.N) / float64(time.Millisecond) }
	b.ReportMetric(perWipe(&store.key), "key-ms/wipe")
	b.ReportMetric(perWipe(&objects.spent), "objects-ms/wipe")
	b.ReportMetric(perWipe(&store.finish), "finish-ms/wipe")
	b.ReportMetric(0, "ns/op") // the wall time is in sessions/s; ns/op would repeat it
}

// timedStore adds up the time spent in the wipe's two write steps.
type timedStore struct {
	idv.WipeStore
	key, finish atomic.Int64 // nanoseconds
}

func (s *timedStore) DestroySessionKey(ctx context.Context, tenantID, id uuid.UUID, at time.Time) (idv.WipeTarget, bool, error) {
	defer add(&s.key, time.Now())
	return s.WipeStore.DestroySessionKey(ctx, tenantID, id, at)
}

func (s *timedStore) FinishWipe(ctx context.Context, tenantID, id uuid.UUID, at time.Time, r idv.Receipt, ev idv.Event) error {
	defer add(&s.finish, time.Now())
	return s.WipeStore.FinishWipe(ctx, tenantID, id, at, r, ev)
}

// timedDeleter adds up the time spent deleting objects.
type timedDeleter struct {
	idv.PrefixDeleter
	spent atomic.Int64 // nanoseconds
}

func (d *timedDeleter) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	defer add(&d.spent, time.Now())
	return d.PrefixDeleter.DeletePrefix(ctx, prefix)
}

func add(total *atomic.Int64, start time.Time) { total.Add(int64(time.Since(start))) }
