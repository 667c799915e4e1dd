// Package shareonce shares one computation of a value between the few
// callers of one process that want it (issue 20: the stages that read the
// same capture each decoded it, and each analysed the same selfie frame).
// The first caller for a key computes, callers that come meanwhile wait
// for it, later ones take what it kept; and what is kept is forgotten as
// soon as the last expected caller has come, or after a hold, or at once
// when it does not fit a budget: a value stays in memory no longer than
// its callers need it, or the hold at most. capture.Decodes and
// face/selfie.Analyses are built on it.
package shareonce

import (
	"context"
	"fmt"
	"sync"
)

// Cache shares computed values by key between the callers of one process.
// The nil *Cache shares nothing: Do computes every call.
type Cache[K comparable, V any] struct {
	cfg Config[V]

	mu      sync.Mutex
	entries map[K]*entry[V]
	held    int64 // Cost of the settled entries in entries
	kept    int   // settled entries in entries that hold a value
}

// New returns an empty Cache.
func New[K comparable, V any](cfg Config[V]) *Cache[K, V] {
	return &Cache[K, V]{cfg: cfg.withDefaults(), entries: map[K]*entry[V]{}}
}

// Kept is how many values c keeps now for callers still to come.
func (c *Cache[K, V]) Kept() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.kept
}

// Do is the value for k: what compute gives, when the caller is the first
// for k or what the first kept is not to be shared; else the kept value
// handed out (Config.HandOut), once the first's computation has settled.
// A caller whose ctx ends while it waits gets ctx's error.
func (c *Cache[K, V]) Do(ctx context.Context, k K, compute func() (V, error)) (V, error) {
	if c == nil {
		return compute()
	}
	e, first := c.claim(k)
	if first {
		v, err := compute()
		c.settle(k, e, v, err)
		return v, err
	}
	select {
	case <-e.ready:
	case <-ctx.Done():
		c.take(e, false)
		var none V
		return none, fmt.Errorf("shareonce: wait for the first caller's value: %w", ctx.Err())
	}
	if v, ok := c.take(e, true); ok {
		return v, nil
	}
	return compute() // it kept none to share: meet why
}
