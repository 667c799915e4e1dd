package stage

import (
	"math/rand/v2"
	"time"
)

// jitterFraction is the most jitter takes off a delay: spreading retries
// of messages that failed together (a database restart) without ever
// waiting longer than the schedule says.
const jitterFraction = 5 // up to a fifth

// ExponentialBackoff returns the delay before redelivering a message that
// failed on its numDelivered-th delivery: base after the first, doubling
// each time, never more than max, each shortened by a random amount of up
// to a fifth. A base ≤ 0 retries at once.
func ExponentialBackoff(base, max time.Duration) func(numDelivered uint64) time.Duration {
	if max < base {
		max = base
	}
	return func(n uint64) time.Duration {
		d := nominal(base, max, n)
		if d <= 0 {
			return 0
		}
		return d - rand.N(d/jitterFraction+1)
	}
}

// nominal is the delay before jitter: base·2^(n−1), capped at max.
func nominal(base, max time.Duration, n uint64) time.Duration {
	if base <= 0 {
		return 0
	}
	d := base
	for i := uint64(1); i < n; i++ {
		if d >= max/2 {
			return max
		}
		d *= 2
	}
	return min(d, max)
}
