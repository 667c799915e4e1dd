package broker

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/idv-oss/idv/schemas"
)

// MaxAge bounds and the de-duplication window of stream IDV.
const (
	// MaxMaxAge is the retention cap: no event outlives the longest
	// retention a tenant may set.
	MaxMaxAge = schemas.MaxRetentionDays * 24 * time.Hour
	// DuplicateWindow is how long a Nats-Msg-Id is remembered. It covers
	// a relay that crashes after publishing and before marking its outbox
	// row sent, restarts, and publishes the row again.
	DuplicateWindow = 10 * time.Minute
)

// StreamConfig is what varies between deployments of stream IDV.
type StreamConfig struct {
	// Replicas is 1 on one machine (dev), 3 in production.
	Replicas int
	// MaxAge is how long events are kept; at most MaxMaxAge and at least
	// DuplicateWindow.
	MaxAge time.Duration
}

func (c StreamConfig) validate() error {
	if c.Replicas < 1 || c.Replicas > 5 {
		return fmt.Errorf("%w: stream %s: replicas %d (want 1 on one machine, 3 in production)", ErrConfig, StreamName, c.Replicas)
	}
	if c.MaxAge > MaxMaxAge {
		return fmt.Errorf("%w: stream %s: MaxAge %s exceeds the %d-day retention cap", ErrConfig, StreamName, c.MaxAge, schemas.MaxRetentionDays)
	}
	if c.MaxAge < DuplicateWindow {
		// Zero would mean "keep forever" to JetStream.
		return fmt.Errorf("%w: stream %s: MaxAge %s is below the %s duplicate window (0 would keep events forever)", ErrConfig, StreamName, c.MaxAge, DuplicateWindow)
	}
	return nil
}

// DeclareStream creates stream IDV or brings an existing one to cfg. It is
// idempotent: start-up runs it every time.
func DeclareStream(ctx context.Context, js jetstream.JetStream, cfg StreamConfig) (jetstream.Stream, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "IDV events: idv.<entity>.<event>.<id>, ids and codes only",
		Subjects:    schemas.StreamSubjects,
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      cfg.MaxAge,
		Duplicates:  DuplicateWindow,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("jetstream: declare stream %s: %w", StreamName, err)
	}
	return s, nil
}
