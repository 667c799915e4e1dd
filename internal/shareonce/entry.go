package shareonce

import "time"

// entry is one key's shared value. Its fields are guarded by the Cache's
// mu; ready closes once the first caller's value is settled.
type entry[V any] struct {
	ready    chan struct{}
	settled  bool
	value    V     // the kept value, when ok
	ok       bool  // value is to be shared
	cost     int64 // Cost of value
	reads    int   // callers that came, the first included
	waiting  int   // later callers that have not yet taken the value
	gone     bool  // out of the map: no caller will come for it
	counted  bool  // in Cache.held
	released bool  // Release has run
	// expiry forgets it after the hold; stopped when it is forgotten
	// before, so that nothing keeps the value alive past its last caller.
	expiry *time.Timer
}

// claim is k's entry and whether the caller is the first, who computes.
func (c *Cache[K, V]) claim(k K) (*entry[V], bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[k]; ok {
		e.reads++
		e.waiting++
		if e.reads >= c.cfg.Readers {
			c.forget(k, e)
		}
		return e, false
	}
	e := &entry[V]{ready: make(chan struct{}), reads: 1}
	c.entries[k] = e
	return e, true
}

// settle keeps what is to be shared of the first caller's value for the
// others while it fits, and wakes those waiting for it. A value not to be
// shared is kept as a mark holding nothing, so that the next caller, who
// then computes its own, knows it is the last and keeps nothing either.
func (c *Cache[K, V]) settle(k K, e *entry[V], v V, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		e.value, e.ok = c.cfg.Share(v)
	}
	if !e.ok {
		var none V
		e.value = none
	}
	e.cost = c.cfg.Cost(e.value)
	e.settled = true
	close(e.ready)
	if !e.gone && (e.reads >= c.cfg.Readers || c.held+e.cost > c.cfg.Budget) {
		c.forget(k, e)
	}
	if e.gone {
		c.release(e)
		return
	}
	c.count(e, true)
	e.expiry = time.AfterFunc(c.cfg.Hold, func() { c.expire(k, e) })
}

// take is a later caller's share of e's value, when it wants one and there
// is one to share; the last caller out of a forgotten entry releases it.
func (c *Cache[K, V]) take(e *entry[V], want bool) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.waiting--
	defer c.release(e)
	if !want || !e.ok {
		var none V
		return none, false
	}
	return c.cfg.HandOut(e.value), true
}

// expire forgets e after the hold if it is still kept.
func (c *Cache[K, V]) expire(k K, e *entry[V]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries[k] == e {
		c.forget(k, e)
		c.release(e)
	}
}

// forget drops k's entry: no caller will come for it any more.
func (c *Cache[K, V]) forget(k K, e *entry[V]) {
	delete(c.entries, k)
	e.gone = true
	c.count(e, false)
	if e.expiry != nil {
		e.expiry.Stop()
	}
}

// count adds e to what c keeps, or takes it out.
func (c *Cache[K, V]) count(e *entry[V], in bool) {
	if e.counted == in {
		return
	}
	e.counted = in
	sign := int64(1)
	if !in {
		sign = -1
	}
	c.held += sign * e.cost
	if e.ok {
		c.kept += int(sign)
	}
}

// release clears a forgotten entry's value once it is settled and no
// caller still waits to take it.
func (c *Cache[K, V]) release(e *entry[V]) {
	if !e.gone || !e.settled || e.waiting > 0 || e.released {
		return
	}
	e.released = true
	if e.ok {
		c.cfg.Release(&e.value)
	}
	var none V
	e.value = none
}
