package decision

import (
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// Spec describes the stage to the broker and the consume loop.
var Spec = idv.Stage{
	Name:     "decision",
	Consumes: []string{schemas.TypeCheckCompleted},
	// Outlasts an hour-long outage, as doccheck's (consumers/doccheck/stage.go).
	MaxDeliver: 40,
	Backoff:    idv.Backoff{Base: time.Second, Max: 5 * time.Minute},
	// The stage mostly waits on PostgreSQL.
	Concurrency:   8,
	AckWait:       30 * time.Second,
	MaxAckPending: 64,
}
