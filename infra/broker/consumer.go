package broker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/idv-oss/idv/schemas"
)

// ConsumerSpec declares a stage's durable pull consumer on stream IDV.
type ConsumerSpec struct {
	// Stage names the stage; it is also the durable consumer's name.
	Stage string
	// Filter is the subject filter of a stage that takes one kind of
	// event, e.g. idv.session.submitted.>.
	Filter string
	// Filters are the subject filters of a stage that takes several kinds
	// (JetStream's FilterSubjects), e.g. notify's decided and deleted
	// events. Set Filter or Filters, not both.
	Filters []string
	// MaxDeliver is how many times a message is delivered before JetStream
	// gives up on it (and publishes a MAX_DELIVERIES advisory).
	MaxDeliver int
	// AckWait is how long a delivery may go without an ack or a progress
	// report before it is redelivered. The consume loop reports progress
	// every AckWait/3 by default.
	AckWait time.Duration
	// MaxAckPending bounds the messages delivered and not yet acked,
	// across every worker of the stage. Messages waiting out a nak delay
	// count too.
	MaxAckPending int
	// Backoff is JetStream's own redelivery schedule. Leave it empty: the
	// server then uses Backoff[i] instead of AckWait as the ack deadline of
	// delivery i+1, so a long entry also delays recovery from a crashed
	// worker. IDV's retry delays come from the consume loop, which naks
	// with a delay (consumers/stage Config.Backoff).
	Backoff []time.Duration
}

// Subjects returns the spec's subject filters, Filter or Filters.
func (s ConsumerSpec) Subjects() []string {
	if s.Filter != "" {
		return []string{s.Filter}
	}
	return slices.Clone(s.Filters)
}

// Consumer settings shared by IDV's stages.
const (
	defaultAckWait       = 30 * time.Second
	defaultMaxAckPending = 64
	defaultMaxDeliver    = 40
)

// Consumers are the stages' consumers, by stage name.
//
// doccheck, facematch, liveness, decision and wipe: 40 deliveries, so that
// a stage outlasts an hour-long outage of the database, the object store or
// the broker and still completes its work. With the loop's default backoff
// (stage.ExponentialBackoff(time.Second, 5*time.Minute)) the delays after
// deliveries 1–9 are 1, 2, 4, …, 256 s (8.5 min in all), then thirty of 5
// min: 159 min nominal; jitter takes up to a fifth off each delay, so the
// last attempt falls 127–159 min (2.1–2.6 h) after the first. (With 10
// deliveries, as before, an outage of about seven minutes exhausted them:
// the checks of the sessions in flight never ran, and the decision
// deadline decided those sessions review.)
//
// notify: 21 deliveries, for about three days of webhook retries as the
// Standard Webhooks convention expects. The notify worker must run with
// stage.ExponentialBackoff(time.Minute, 6*time.Hour): delays after
// deliveries 1–9 of 1, 2, 4, …, 256 minutes (8.5 h in all), then eleven
// of 6 h, 74.5 h nominal; jitter takes up to a fifth off each delay, so
// the last attempt falls 60–74.5 h (2.5–3.1 days) after the first.
// Messages waiting out a delay count against MaxAckPending, so notify's is
// set high: with 64, one customer's dead endpoint would hold back every
// tenant's webhooks. notify takes idv.session.decided and
// idv.session.deleted, the tenant notices idv.subprocessor.announced and
// idv.breach.notified, and data subjects' requests idv.dsr.received: all
// become webhooks, with the same delivery rules.
//
// wipe: the key is destroyed on the first attempt, before
// storage is touched, so nothing can be opened while the retries run. A wipe
// that exhausts its deliveries leaves its session overdue (wipe requested,
// not deleted), which the overdue gauge shows. MaxAckPending is high for
// the same reason as notify's: during an outage every pending wipe waits out
// a delay, and new ones should still get their first attempt.
var Consumers = map[string]ConsumerSpec{
	"doccheck": {
		Stage:         "doccheck",
		Filter:        schemas.TypeSessionSubmitted + ".>",
		MaxDeliver:    defaultMaxDeliver,
		AckWait:       defaultAckWait,
		MaxAckPending: defaultMaxAckPending,
	},
	"decision": {
		Stage:         "decision",
		Filter:        schemas.TypeCheckCompleted + ".>",
		MaxDeliver:    defaultMaxDeliver,
		AckWait:       defaultAckWait,
		MaxAckPending: defaultMaxAckPending,
	},
	"notify": {
		Stage: "notify",
		Filters: []string{schemas.TypeSessionDecided + ".>", schemas.TypeSessionDeleted + ".>",
			schemas.TypeSubprocessorAnnounced + ".>", schemas.TypeBreachNotified + ".>", schemas.TypeDSRReceived + ".>"},
		MaxDeliver:    21,
		AckWait:       defaultAckWait,
		MaxAckPending: 4096,
	},
	"facematch": {
		Stage:         "facematch",
		Filter:        schemas.TypeSessionSubmitted + ".>",
		MaxDeliver:    defaultMaxDeliver,
		AckWait:       defaultAckWait,
		MaxAckPending: defaultMaxAckPending,
	},
	"liveness": {
		Stage:         "liveness",
		Filter:        schemas.TypeSessionSubmitted + ".>",
		MaxDeliver:    defaultMaxDeliver,
		AckWait:       defaultAckWait,
		MaxAckPending: defaultMaxAckPending,
	},
	"wipe": {
		Stage:         "wipe",
		Filter:        schemas.TypeSessionExpired + ".>",
		MaxDeliver:    defaultMaxDeliver,
		AckWait:       defaultAckWait,
		MaxAckPending: 4096,
	},
}

func (s ConsumerSpec) validate() error {
	switch {
	case s.Stage == "":
		return fmt.Errorf("%w: consumer without a stage name", ErrConfig)
	case s.Filter == "" && len(s.Filters) == 0:
		return fmt.Errorf("%w: consumer %s: no subject filter", ErrConfig, s.Stage)
	case s.Filter != "" && len(s.Filters) > 0:
		return fmt.Errorf("%w: consumer %s: both Filter and Filters", ErrConfig, s.Stage)
	case slices.Contains(s.Filters, ""):
		return fmt.Errorf("%w: consumer %s: an empty subject filter", ErrConfig, s.Stage)
	case s.MaxDeliver < 1:
		return fmt.Errorf("%w: consumer %s: MaxDeliver %d (want a bound ≥ 1)", ErrConfig, s.Stage, s.MaxDeliver)
	case s.AckWait <= 0:
		return fmt.Errorf("%w: consumer %s: AckWait %s", ErrConfig, s.Stage, s.AckWait)
	case s.MaxAckPending < 1:
		return fmt.Errorf("%w: consumer %s: MaxAckPending %d (want a bound ≥ 1)", ErrConfig, s.Stage, s.MaxAckPending)
	case len(s.Backoff) > s.MaxDeliver:
		return fmt.Errorf("%w: consumer %s: %d backoff steps for %d deliveries", ErrConfig, s.Stage, len(s.Backoff), s.MaxDeliver)
	}
	return nil
}

// DeclareConsumers creates or updates the durable consumers of specs on
// stream IDV, or of every entry in Consumers when specs is empty. It is
// idempotent: start-up (infra), not each worker, runs it every time.
func DeclareConsumers(ctx context.Context, js jetstream.JetStream, specs ...ConsumerSpec) error {
	if len(specs) == 0 {
		for _, name := range slices.Sorted(maps.Keys(Consumers)) {
			specs = append(specs, Consumers[name])
		}
	}
	for _, s := range specs {
		if err := s.validate(); err != nil {
			return err
		}
	}
	for _, s := range specs {
		cfg := jetstream.ConsumerConfig{
			Durable:       s.Stage,
			Description:   "IDV stage " + s.Stage,
			DeliverPolicy: jetstream.DeliverAllPolicy,
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       s.AckWait,
			MaxDeliver:    s.MaxDeliver,
			MaxAckPending: s.MaxAckPending,
			BackOff:       s.Backoff,
		}
		// The server refuses a config with both; one subject goes in
		// FilterSubject, as before multi-filter specs existed, so an
		// existing durable's config does not change.
		if subjects := s.Subjects(); len(subjects) == 1 {
			cfg.FilterSubject = subjects[0]
		} else {
			cfg.FilterSubjects = subjects
		}
		_, err := js.CreateOrUpdateConsumer(ctx, StreamName, cfg)
		if err != nil {
			return fmt.Errorf("jetstream: declare consumer %s on %s: %w", s.Stage, StreamName, err)
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
