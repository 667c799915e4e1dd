package idv

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Stage describes one pipeline stage, once, beside its handler (each stage
// package declares its own in its stage.go): the broker adapter declares
// the stage's durable consumer from it, and the consume loop runs the
// stage's handlers by it.
type Stage struct {
	// Name names the stage in logs, metrics and `idv worker`; it is also
	// the name of its durable consumer.
	Name string
	// Consumes are the event types the stage takes, e.g.
	// schemas.TypeSessionSubmitted; the stage receives every event of
	// these types and no other.
	Consumes []string
	// Retry is how often and how far apart a failed event is delivered
	// again.
	Retry
	// Concurrency is how many handlers run at once, unless the operator
	// says otherwise (IDV_STAGE_CONCURRENCY); zero means
	// DefaultConcurrency.
	Concurrency int
	// AckWait is how long a delivery may go without an ack or a progress
	// report before it is delivered again (to this worker or another);
	// zero means DefaultAckWait.
	AckWait time.Duration
	// MaxAckPending bounds the events delivered and not yet settled,
	// across every worker of the stage; events waiting out a Backoff delay
	// count too. Zero means DefaultMaxAckPending.
	MaxAckPending int
}

// The defaults of a stage's Concurrency, AckWait and MaxAckPending: eight
// handlers for a stage that mostly waits on PostgreSQL and the object
// store (a CPU-bound one runs about one per core); a handler that runs
// longer than AckWait reports progress (the consume loop does so every
// AckWait/3); 64 events in flight keep every handler of a stage busy.
const (
	DefaultConcurrency   = 8
	DefaultAckWait       = 30 * time.Second
	DefaultMaxAckPending = 64
)

// Retry is a stage's redelivery policy.
type Retry struct {
	// MaxDeliver is how many times an event is delivered to the stage
	// before the broker gives up on it.
	MaxDeliver int
	// Backoff is the delay before a failed event is delivered again.
	Backoff Backoff
}

// RetryThroughOutage is the policy of the stages that wait on IDV's own
// services (doccheck, facematch, liveness, decision, wipe): 40 deliveries,
// so that a stage outlasts an hour-long outage of the database, the object
// store or the broker and still completes its work. The delays after
// deliveries 1–9 are 1, 2, 4, …, 256 s (8.5 min in all), then thirty of
// 5 min: 159 min nominal; jitter takes up to a fifth off each delay, so
// the last attempt falls 127–159 min (2.1–2.6 h) after the first. (With 10
// deliveries, as before, an outage of about seven minutes exhausted them:
// the checks of the sessions in flight never ran, and the decision
// deadline decided those sessions review.)
func RetryThroughOutage() Retry {
	return Retry{MaxDeliver: 40, Backoff: Backoff{Base: time.Second, Max: 5 * time.Minute}}
}

// WithDefaults is s with DefaultConcurrency, DefaultAckWait and
// DefaultMaxAckPending where s leaves them zero.
func (s Stage) WithDefaults() Stage {
	if s.Concurrency == 0 {
		s.Concurrency = DefaultConcurrency
	}
	if s.AckWait == 0 {
		s.AckWait = DefaultAckWait
	}
	if s.MaxAckPending == 0 {
		s.MaxAckPending = DefaultMaxAckPending
	}
	return s
}

// Backoff is a stage's retry delays: Base after the first failed
// delivery, doubling after each further one, never more than Max. The
// consume loop takes a random amount of up to a fifth off each delay.
type Backoff struct {
	Base time.Duration
	Max  time.Duration
}

// Delay is the delay before redelivering an event that failed on its n-th
// delivery, before the consume loop's jitter: Base·2^(n−1), capped at Max;
// 0 when Base ≤ 0.
func (b Backoff) Delay(n uint64) time.Duration {
	if b.Base <= 0 {
		return 0
	}
	d := b.Base
	for i := uint64(1); i < n; i++ {
		if d >= b.Max/2 {
			return b.Max
		}
		d *= 2
	}
	return min(d, b.Max)
}

// Subjects are the subject filters of the event types s consumes: each
// type followed by ".>" (events are published on <type>.<id>).
func (s Stage) Subjects() []string {
	subjects := make([]string, 0, len(s.Consumes))
	for _, t := range s.Consumes {
		subjects = append(subjects, t+".>")
	}
	return subjects
}

// Validate reports what is missing or out of bounds in s, with its
// defaults.
func (s Stage) Validate() error {
	s = s.WithDefaults()
	switch {
	case s.Name == "":
		return errors.New("stage without a name")
	case len(s.Consumes) == 0:
		return fmt.Errorf("stage %s: consumes no event type", s.Name)
	case slices.Contains(s.Consumes, ""):
		return fmt.Errorf("stage %s: an empty event type", s.Name)
	case s.MaxDeliver < 1:
		return fmt.Errorf("stage %s: MaxDeliver %d (want a bound ≥ 1)", s.Name, s.MaxDeliver)
	case s.AckWait <= 0:
		return fmt.Errorf("stage %s: AckWait %s", s.Name, s.AckWait)
	case s.MaxAckPending < 1:
		return fmt.Errorf("stage %s: MaxAckPending %d (want a bound ≥ 1)", s.Name, s.MaxAckPending)
	case s.Concurrency < 1:
		return fmt.Errorf("stage %s: Concurrency %d (want ≥ 1)", s.Name, s.Concurrency)
	case s.Backoff.Base <= 0 || s.Backoff.Max < s.Backoff.Base:
		return fmt.Errorf("stage %s: Backoff %s to %s (want 0 < Base ≤ Max)", s.Name, s.Backoff.Base, s.Backoff.Max)
	}
	return nil
}
