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
	// MaxDeliver is how many times an event is delivered to the stage
	// before the broker gives up on it.
	MaxDeliver int
	// Backoff is the delay before a failed event is delivered again.
	Backoff Backoff
	// Concurrency is how many handlers run at once, unless the operator
	// says otherwise (IDV_STAGE_CONCURRENCY).
	Concurrency int
	// AckWait is how long a delivery may go without an ack or a progress
	// report before it is delivered again (to this worker or another).
	AckWait time.Duration
	// MaxAckPending bounds the events delivered and not yet settled,
	// across every worker of the stage; events waiting out a Backoff delay
	// count too.
	MaxAckPending int
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

// Validate reports what is missing or out of bounds in s.
func (s Stage) Validate() error {
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
