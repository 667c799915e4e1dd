package wipe

import (
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// Spec describes the stage to the broker and the consume loop.
var Spec = idv.Stage{
	Name:     "wipe",
	Consumes: []string{schemas.TypeSessionExpired},
	// Outlasts an hour-long outage, as doccheck's (consumers/doccheck/stage.go).
	// The key is destroyed on the first attempt, before storage is
	// touched, so nothing can be opened while the retries run. A wipe that
	// exhausts its deliveries leaves its session overdue (wipe requested,
	// not deleted), which the overdue gauge shows.
	MaxDeliver: 40,
	Backoff:    idv.Backoff{Base: time.Second, Max: 5 * time.Minute},
	// The stage mostly waits on PostgreSQL and the object store.
	Concurrency: 16,
	AckWait:     30 * time.Second,
	// High for the same reason as notify's: during an outage every pending
	// wipe waits out a delay, and new ones should still get their first
	// attempt.
	MaxAckPending: 4096,
}
