package stage_test

import (
	"testing"
	"time"

	"github.com/idv-oss/idv/consumers/stage"
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
