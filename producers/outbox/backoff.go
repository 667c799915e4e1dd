package outbox

import (
	"math/rand/v2"
	"time"
)

// backoff is the wait before retry number failures (1 for the first): lo,
// doubling up to hi, less up to a fifth at random so that replicas that
// failed together do not retry together.
func backoff(lo, hi time.Duration, failures int) time.Duration {
	d := lo
	for i := 1; i < failures && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	return d - rand.N(d/5+1)
}
