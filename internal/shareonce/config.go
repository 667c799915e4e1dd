package shareonce

import "time"

// Config says how many callers share a value, how long and how much of
// them a Cache keeps, and what it keeps and hands out. The zero value of a
// field is its default.
type Config[V any] struct {
	Readers int           // callers that want the same key; 2 when 0
	Hold    time.Duration // longest a value is kept; 10 s when 0
	Budget  int64         // total Cost of what is kept at most; 1024 when 0

	// Cost is what a kept value takes of the Budget; the zero V stands
	// for a computation that kept nothing to share. 1 each when nil.
	Cost func(V) int64
	// Share is what to keep of the first caller's value for the others,
	// and whether to keep any (not when it is incomplete). A computation
	// that failed keeps nothing. All of it, as it is, when nil.
	Share func(V) (V, bool)
	// HandOut is what a later caller gets of the kept value: the value
	// itself when nil, which its callers then only read.
	HandOut func(V) V
	// Release clears the kept value once it is forgotten and no caller
	// is still taking it; it runs once, under the Cache's lock. Nothing
	// when nil.
	Release func(*V)
}

// withDefaults is cfg with its zero fields set to their defaults.
func (cfg Config[V]) withDefaults() Config[V] {
	if cfg.Readers <= 0 {
		cfg.Readers = 2
	}
	if cfg.Hold <= 0 {
		cfg.Hold = 10 * time.Second
	}
	if cfg.Budget <= 0 {
		cfg.Budget = 1024
	}
	if cfg.Cost == nil {
		cfg.Cost = func(V) int64 { return 1 }
	}
	if cfg.Share == nil {
		cfg.Share = func(v V) (V, bool) { return v, true }
	}
	if cfg.HandOut == nil {
		cfg.HandOut = func(v V) V { return v }
	}
	if cfg.Release == nil {
		cfg.Release = func(*V) {}
	}
	return cfg
}
