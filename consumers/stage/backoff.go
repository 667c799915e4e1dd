package stage

import (
	"math/rand/v2"
	"time"

	"github.com/idv-oss/idv"
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
	b := idv.Backoff{Base: base, Max: max}
	return func(n uint64) time.Duration {
		d := b.Delay(n)
		if d <= 0 {
			return 0
		}
		return d - rand.N(d/jitterFraction+1)
	}
}
