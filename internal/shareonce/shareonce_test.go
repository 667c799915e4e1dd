package shareonce

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// value is a fake computed value: a number and the memory it holds. A
// value of no number is incomplete: it is not shared.
type value struct {
	n    int
	data []int
}

// fixture is a Cache of values and what its hooks and computations saw.
type fixture struct {
	c        *Cache[string, value]
	computes atomic.Int32
	mu       sync.Mutex
	released []value // what Release left of each value it cleared
}

// setup is a fixture whose Cache keeps a copy of each complete value,
// hands out copies, costs len(data) and zeroes what it forgets.
func setup(t *testing.T, cfg Config[value]) *fixture {
	t.Helper()
	f := &fixture{}
	clone := func(v value) value { return value{n: v.n, data: slices.Clone(v.data)} }
	cfg.Share = func(v value) (value, bool) { return clone(v), v.n != 0 }
	cfg.HandOut = clone
	cfg.Cost = func(v value) int64 { return int64(len(v.data)) }
	cfg.Release = func(v *value) {
		clear(v.data)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.released = append(f.released, *v)
	}
	f.c = New[string](cfg)
	return f
}

// do is one caller's read of k, computing n over 4 ints when it must.
func (f *fixture) do(t *testing.T, k string, n int) value {
	t.Helper()
	v, err := f.c.Do(t.Context(), k, func() (value, error) {
		f.computes.Add(1)
		return value{n: n, data: []int{n, n, n, n}}, nil
	})
	if err != nil {
		t.Error(err)
	}
	return v
}

// releases is how many values Release cleared, and whether all are zeroed.
func (f *fixture) releases() (int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range f.released {
		if slices.ContainsFunc(v.data, func(x int) bool { return x != 0 }) {
			return len(f.released), false
		}
	}
	return len(f.released), true
}

// state is how many entries c has, how many values it keeps and what they cost.
func (c *Cache[K, V]) state() (entries, kept int, held int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries), c.kept, c.held
}

// forgotten checks that f's Cache keeps nothing and that Release zeroed
// the one value it kept.
func (f *fixture) forgotten(t *testing.T, when string) {
	t.Helper()
	if n, kept, held := f.c.state(); n != 0 || kept != 0 || held != 0 {
		t.Errorf("%s: %d entries, %d kept, cost %d, want none", when, n, kept, held)
	}
	if n, zeroed := f.releases(); n != 1 || !zeroed {
		t.Errorf("%s: %d releases, zeroed %v, want one", when, n, zeroed)
	}
}

// again is a read of "k" by who, which computes the second time in all.
func (f *fixture) again(t *testing.T, who string) {
	t.Helper()
	if f.do(t, "k", 9); f.computes.Load() != 2 {
		t.Errorf("%s: %d computations in all, want 2", who, f.computes.Load())
	}
}

// TestShare: two callers for one key compute once; the second gets its own
// copy of what the first kept, which is forgotten and released once both
// have come; a third computes again.
func TestShare(t *testing.T) {
	t.Parallel()
	f := setup(t, Config[value]{})
	first := f.do(t, "k", 7)
	if n, kept, held := f.c.state(); n != 1 || kept != 1 || held != 4 || f.c.Kept() != 1 {
		t.Errorf("after the first of two: %d entries, %d kept, cost %d, want 1, 1, 4", n, kept, held)
	}
	second := f.do(t, "k", 8)
	if f.computes.Load() != 1 || second.n != 7 || !slices.Equal(first.data, second.data) {
		t.Errorf("the second caller: %d computations, value %v, want 1 and the first's %v", f.computes.Load(), second, first)
	}
	clear(first.data)
	if second.data[0] != 7 {
		t.Error("the second caller's copy shares memory with the first's value")
	}
	f.forgotten(t, "after both")
	f.again(t, "a third caller")
}

// TestWait: a caller that comes while the first computes waits for that
// value rather than computing its own.
func TestWait(t *testing.T) {
	t.Parallel()
	f := setup(t, Config[value]{})
	first, release := f.blockedFirst(t)
	f.c.mu.Lock()
	e := f.c.entries["k"]
	f.c.mu.Unlock()
	second := make(chan value, 1)
	go func() { second <- f.do(t, "k", 2) }()
	f.untilWaiting(t, e, 1)
	close(release)
	if a, b := <-first, <-second; a.n != 1 || b.n != 1 || f.computes.Load() != 0 {
		t.Errorf("two callers at once got %d and %d, %d computed besides the first, want 1, 1, 0", a.n, b.n, f.computes.Load())
	}
	f.forgotten(t, "after both at once")
}

// blockedFirst starts the first caller for "k", whose computation waits
// until release closes, and returns once it computes; its value comes on
// the channel.
func (f *fixture) blockedFirst(t *testing.T) (<-chan value, chan struct{}) {
	t.Helper()
	entered, release := make(chan struct{}), make(chan struct{})
	done := make(chan value, 1)
	go func() {
		v, err := f.c.Do(context.Background(), "k", func() (value, error) {
			close(entered)
			<-release
			return value{n: 1, data: []int{1}}, nil
		})
		if err != nil {
			t.Error(err)
		}
		done <- v
	}()
	<-entered
	return done, release
}

// untilWaiting waits until n callers wait for e.
func (f *fixture) untilWaiting(t *testing.T, e *entry[value], n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if f.waiting(e) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d callers did not come in 10 s", n)
		}
	}
}

// waiting is how many callers wait for e.
func (f *fixture) waiting(e *entry[value]) int {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	return e.waiting
}

// TestCancelledReader: a caller whose context ends while it waits gets its
// context's error and takes nothing; the value is forgotten and released
// all the same once the first settles.
func TestCancelledReader(t *testing.T) {
	t.Parallel()
	f := setup(t, Config[value]{})
	done, release := f.blockedFirst(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	computed := false
	if _, err := f.c.Do(ctx, "k", func() (value, error) { computed = true; return value{}, nil }); !errors.Is(err, context.Canceled) || computed {
		t.Errorf("a cancelled caller: %v, computed %v, want context.Canceled and no computation", err, computed)
	}
	if n, _ := f.releases(); n != 0 {
		t.Error("released before the first settled")
	}
	close(release)
	if v := <-done; v.n != 1 {
		t.Errorf("the first caller got %v", v)
	}
	f.forgotten(t, "after both")
}

// TestHold: a value only one caller took is forgotten and released after
// Hold, and a caller after that computes again.
func TestHold(t *testing.T) {
	t.Parallel()
	f := setup(t, Config[value]{Hold: time.Millisecond})
	f.do(t, "k", 1)
	for deadline := time.Now().Add(10 * time.Second); f.c.Kept() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a value kept 10 s past a hold of 1 ms")
		}
	}
	f.forgotten(t, "after the hold")
	f.again(t, "a caller after the hold")
}

// TestNotShared: a failed computation, a value Share keeps nothing of, one
// over the Budget, one of a single reader and every call through a nil
// Cache are computed again by the next caller, who keeps nothing either.
func TestNotShared(t *testing.T) {
	t.Parallel()
	twice := func(name string, f *fixture, first func() (value, error)) {
		t.Helper()
		before, _, _ := f.c.state()
		if _, err := f.c.Do(t.Context(), name, first); err != nil && err.Error() != "failed" {
			t.Errorf("%s: the first caller got %v", name, err)
		}
		if v := f.do(t, name, 5); v.n != 5 || f.computes.Load() != 1 {
			t.Errorf("%s: the second caller got %v after %d computations, want its own 5", name, v, f.computes.Load())
		}
		if n, _, _ := f.c.state(); n != before {
			t.Errorf("%s: %d entries after both, want %d", name, n, before)
		}
	}
	failing := func() (value, error) { return value{n: 1, data: []int{1}}, errors.New("failed") }
	twice("a failure", setup(t, Config[value]{}), failing)
	incomplete := func() (value, error) { return value{data: []int{1}}, nil }
	twice("an incomplete value", setup(t, Config[value]{}), incomplete)
	whole := func() (value, error) { return value{n: 1, data: []int{1, 1, 1, 1}}, nil }
	twice("one reader", setup(t, Config[value]{Readers: 1}), whole)
	small := setup(t, Config[value]{Budget: 6})
	small.do(t, "other", 1) // costs 4 of 6
	small.computes.Store(0)
	twice("over the Budget", small, whole)
	if n, kept, held := small.c.state(); n != 1 || kept != 1 || held != 4 {
		t.Errorf("over the Budget: %d entries, %d kept, cost %d, want the other's alone", n, kept, held)
	}
	var none *Cache[string, value]
	calls := 0
	for range 2 {
		if _, err := none.Do(t.Context(), "k", func() (value, error) { calls++; return value{}, nil }); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 2 {
		t.Errorf("a nil Cache: %d computations for two callers, want 2", calls)
	}
}

// TestDefaults: a zero Config shares between two callers and keeps 1024
// values of the default cost for 10 s.
func TestDefaults(t *testing.T) {
	t.Parallel()
	cfg := Config[int]{}.withDefaults()
	if cfg.Readers != 2 || cfg.Hold != 10*time.Second || cfg.Budget != 1024 || cfg.Cost(5) != 1 {
		t.Errorf("defaults: %d readers, hold %v, budget %d, cost %d", cfg.Readers, cfg.Hold, cfg.Budget, cfg.Cost(5))
	}
	if v, ok := cfg.Share(5); !ok || v != 5 || cfg.HandOut(6) != 6 {
		t.Error("by default the value itself is kept and handed out")
	}
}
