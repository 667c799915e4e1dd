package outbox

import "time"

// Config tunes the relay; the zero value of each field selects its default.
type Config struct {
	// BatchSize is how many rows one transaction claims and publishes (100).
	BatchSize int
	// PollInterval is how often the relay looks without being notified (1s):
	// the fallback for a lost LISTEN connection.
	PollInterval time.Duration
	// PublishTimeout bounds one publish (5s); the batch stops at the first
	// failure.
	PublishTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait after a failed batch (100ms,
	// 10s); it doubles with each failure in a row.
	MinBackoff, MaxBackoff time.Duration
	// Retention is how long published rows are kept (24h).
	Retention time.Duration
	// PruneInterval is how often published rows past Retention are deleted
	// (1m), PruneBatch rows per transaction (1000).
	PruneInterval time.Duration
	PruneBatch    int
	// StatsInterval is how often the backlog gauges are read (1s), on a
	// timer of their own: reading them after every batch cost a
	// transaction per batch.
	StatsInterval time.Duration
}

func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 100
	}
	if c.PruneBatch <= 0 {
		c.PruneBatch = 1000
	}
	def(&c.PollInterval, time.Second)
	def(&c.PublishTimeout, 5*time.Second)
	def(&c.MinBackoff, 100*time.Millisecond)
	def(&c.MaxBackoff, 10*time.Second)
	def(&c.Retention, 24*time.Hour)
	def(&c.PruneInterval, time.Minute)
	def(&c.StatsInterval, time.Second)
	c.MaxBackoff = max(c.MaxBackoff, c.MinBackoff)
	return c
}
