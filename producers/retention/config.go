package retention

import "time"

// Config tunes the sweeper; the zero value of each field selects its default.
type Config struct {
	// Interval is the time between rounds (1m). A deadline is met within
	// about one interval plus the wipe's own time, so keep it well below
	// the 15 minutes the overdue alert waits.
	Interval time.Duration
	// BatchSize is how many sessions one transaction claims (100); a round
	// claims batches until one comes back short.
	BatchSize int
	// StuckAfter is how long after its request an unfinished wipe is asked
	// for again (3h: longer than the wipe's ~2.6 hours of deliveries).
	StuckAfter time.Duration
	// DecisionDeadline is how long after submission a session waits for
	// every check it asked for before it is decided review (15m).
	DecisionDeadline time.Duration
	// TailAfter is how long after its wipe a session's prefix is swept once
	// more, for what an upload policy issued before the wipe stored later:
	// longer than the API's upload policies live (IDV_UPLOAD_TTL, 15m),
	// plus a round (16m).
	TailAfter time.Duration
	// CheckpointInterval is how long after a tenant's last periodic audit
	// checkpoint the next is signed, if its audit chain grew since (24h).
	CheckpointInterval time.Duration
}

func (c Config) withDefaults() Config {
	if c.Interval <= 0 {
		c.Interval = time.Minute
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 100
	}
	if c.DecisionDeadline <= 0 {
		c.DecisionDeadline = 15 * time.Minute
	}
	if c.StuckAfter <= 0 {
		c.StuckAfter = 3 * time.Hour
	}
	if c.TailAfter <= 0 {
		c.TailAfter = 16 * time.Minute
	}
	if c.CheckpointInterval <= 0 {
		c.CheckpointInterval = 24 * time.Hour
	}
	return c
}
