package stage_test

import (
	"testing"
	"time"

	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/infra/broker"
)

func TestExponentialBackoff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		base, max time.Duration
		n         uint64
		nominal   time.Duration
	}{
		{time.Second, time.Minute, 0, time.Second},
		{time.Second, time.Minute, 1, time.Second},
		{time.Second, time.Minute, 2, 2 * time.Second},
		{time.Second, time.Minute, 6, 32 * time.Second},
		{time.Second, time.Minute, 7, time.Minute},
		{time.Second, time.Minute, 1 << 40, time.Minute},
		{time.Second, time.Minute, ^uint64(0), time.Minute},
		{time.Minute, 6 * time.Hour, 9, 256 * time.Minute},
		{time.Minute, 6 * time.Hour, 10, 6 * time.Hour},
		{time.Minute, time.Second, 3, time.Minute}, // max below base: base
		{0, time.Minute, 5, 0},
		{-time.Second, time.Minute, 5, 0},
	} {
		if got := stage.Nominal(tc.base, max(tc.max, tc.base), tc.n); got != tc.nominal {
			t.Errorf("nominal(%s, %s, %d) = %s, want %s", tc.base, tc.max, tc.n, got, tc.nominal)
		}
		b := stage.ExponentialBackoff(tc.base, tc.max)
		lo := tc.nominal - tc.nominal/5
		seen := map[time.Duration]bool{}
		for range 200 {
			d := b(tc.n)
			seen[d] = true
			if d < lo || d > tc.nominal {
				t.Fatalf("ExponentialBackoff(%s, %s)(%d) = %s, want within [%s, %s]", tc.base, tc.max, tc.n, d, lo, tc.nominal)
			}
		}
		if tc.nominal >= time.Second && len(seen) < 2 {
			t.Errorf("ExponentialBackoff(%s, %s)(%d): no jitter", tc.base, tc.max, tc.n)
		}
	}
}

// The notify consumer's MaxDeliver and the backoff its worker runs with
// give retries for about three days (Standard Webhooks).
func TestNotifyRetrySchedule(t *testing.T) {
	t.Parallel()
	spec := broker.Consumers["notify"]
	var longest, shortest time.Duration
	for n := uint64(1); n < uint64(spec.MaxDeliver); n++ {
		d := stage.Nominal(time.Minute, 6*time.Hour, n)
		longest += d
		shortest += d - d/5
	}
	t.Logf("notify: %d deliveries, last %s–%s after the first", spec.MaxDeliver, shortest, longest)
	if shortest < 54*time.Hour || longest > 84*time.Hour {
		t.Errorf("notify retries span %s–%s, want about three days", shortest, longest)
	}
}

// Every other stage's MaxDeliver with the loop's default backoff retries
// for over two hours, so that an outage of the database, the object store
// or the broker lasting an hour exhausts no message.
func TestStagesOutlastAnHourLongOutage(t *testing.T) {
	t.Parallel()
	for name, spec := range broker.Consumers {
		if name == "notify" {
			continue
		}
		var shortest time.Duration
		for n := uint64(1); n < uint64(spec.MaxDeliver); n++ {
			d := stage.Nominal(time.Second, 5*time.Minute, n)
			shortest += d - d/5
		}
		if shortest < 2*time.Hour {
			t.Errorf("%s: %d deliveries retry for as little as %s, want over two hours", name, spec.MaxDeliver, shortest)
		}
	}
}
