package broker

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/idv-oss/idv"
)

// ConsumerConfig is the durable pull consumer of stage s on stream IDV,
// named after the stage.
func ConsumerConfig(s idv.Stage) jetstream.ConsumerConfig {
	s = s.WithDefaults()
	cfg := jetstream.ConsumerConfig{
		Durable:       s.Name,
		Description:   "IDV stage " + s.Name,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.AckWait,
		MaxDeliver:    s.MaxDeliver,
		MaxAckPending: s.MaxAckPending,
		// BackOff, JetStream's own redelivery schedule, stays empty: the
		// server would use BackOff[i] instead of AckWait as the ack
		// deadline of delivery i+1, so a long entry would also delay
		// recovery from a crashed worker. The stage's retry delays
		// (s.Backoff) come from the consume loop, which naks with a delay.
	}
	// The server refuses a config with both; one subject goes in
	// FilterSubject, as before multi-filter consumers existed, so an
	// existing durable's config does not change.
	if subjects := s.Subjects(); len(subjects) == 1 {
		cfg.FilterSubject = subjects[0]
	} else {
		cfg.FilterSubjects = subjects
	}
	return cfg
}

// DeclareConsumers creates or updates the durable consumers of stages on
// stream IDV, after checking every one of them. It is idempotent:
// start-up (`idv migrate`, `idv dev`), not each worker, runs it every time.
func DeclareConsumers(ctx context.Context, js jetstream.JetStream, stages ...idv.Stage) error {
	for _, s := range stages {
		if err := s.Validate(); err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	for _, s := range stages {
		if _, err := js.CreateOrUpdateConsumer(ctx, StreamName, ConsumerConfig(s)); err != nil {
			return fmt.Errorf("jetstream: declare consumer %s on %s: %w", s.Name, StreamName, err)
		}
	}
	return nil
}

// Consumer looks up the durable consumer of stage; it does not create it.
func Consumer(ctx context.Context, js jetstream.JetStream, stage string) (jetstream.Consumer, error) {
	c, err := js.Consumer(ctx, StreamName, stage)
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		return nil, fmt.Errorf("jetstream: consumer %s on %s not declared (DeclareConsumers runs at start-up): %w", stage, StreamName, err)
	case errors.Is(err, jetstream.ErrStreamNotFound):
		return nil, fmt.Errorf("jetstream: stream %s not declared (DeclareStream runs at start-up): %w", StreamName, err)
	case err != nil:
		return nil, fmt.Errorf("jetstream: consumer %s on %s: %w", stage, StreamName, err)
	}
	return c, nil
}
