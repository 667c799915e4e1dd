package doccheck

import (
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// Spec describes the stage to the broker and the consume loop.
var Spec = idv.Stage{
	Name:     "doccheck",
	Consumes: []string{schemas.TypeSessionSubmitted},
	// 40 deliveries, so that the stage outlasts an hour-long outage of
	// the database, the object store or the broker and still completes
	// its work. With Backoff the delays after deliveries 1–9 are 1, 2, 4,
	// …, 256 s (8.5 min in all), then thirty of 5 min: 159 min nominal;
	// jitter takes up to a fifth off each delay, so the last attempt falls
	// 127–159 min (2.1–2.6 h) after the first. (With 10 deliveries, as
	// before, an outage of about seven minutes exhausted them: the checks
	// of the sessions in flight never ran, and the decision deadline
	// decided those sessions review.) facematch, liveness, decision and
	// wipe retry the same way for the same reason.
	MaxDeliver: 40,
	Backoff:    idv.Backoff{Base: time.Second, Max: 5 * time.Minute},
	// The stage mostly waits on PostgreSQL and the object store.
	Concurrency:   8,
	AckWait:       30 * time.Second,
	MaxAckPending: 64,
}
