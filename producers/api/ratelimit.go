package api

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Rate limits, per tenant (API key requests) and per app token (one
// session's requests), as token buckets: Rate requests a second on
// average, Burst at once. The defaults leave room for a tenant driving
// about 300 verifications a second and for any app, which makes about five
// requests per session; a burst ten times that is answered 429.
const (
	DefaultTenantRate  = 1000
	DefaultTenantBurst = 2000
	DefaultAppRate     = 10
	DefaultAppBurst    = 30
	// DefaultMaxInFlight bounds the requests the API works on at once;
	// beyond it a request is answered 429 at once rather than queued.
	DefaultMaxInFlight = 512
)

var errOverloaded = apiErr(http.StatusTooManyRequests, "overloaded", "the API is at its limit of requests in flight; retry shortly")

// limiter is a set of token buckets by key.
type limiter struct {
	rate, burst float64
	now         func() time.Time
	mu          sync.Mutex
	buckets     map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxBuckets bounds the limiter's memory: beyond it, buckets that have
// refilled completely are dropped (they would allow a full burst anyway).
const maxBuckets = 100_000

func newLimiter(rate, burst float64, now func() time.Time) *limiter {
	return &limiter{rate: rate, burst: burst, now: now, buckets: map[string]*bucket{}}
}

// take spends one token of key's bucket, or says how long until one is due.
func (l *limiter) take(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.evict(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

func (l *limiter) evict(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// limit refuses a request over key's rate with 429 rate_limited and a
// Retry-After header in whole seconds.
func (l *limiter) limit(w http.ResponseWriter, key string) error {
	ok, wait := l.take(key)
	if ok {
		return nil
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	return apiErr(http.StatusTooManyRequests, "rate_limited", "too many requests; retry after %s", wait.Round(time.Millisecond))
}

// bounded answers 429 overloaded when max requests are already in flight.
func (s *Server) bounded(max int, next http.Handler) http.Handler {
	slots := make(chan struct{}, max)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
			next.ServeHTTP(w, r)
		default:
			w.Header().Set("Retry-After", "1")
			writeError(w, r, s.log, errOverloaded)
		}
	})
}
