package facematch

import (
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// Spec describes the stage to the broker and the consume loop.
var Spec = idv.Stage{
	Name:     "facematch",
	Consumes: []string{schemas.TypeSessionSubmitted},
	// Outlasts an hour-long outage, as doccheck's (consumers/doccheck/stage.go).
	MaxDeliver: 40,
	Backoff:    idv.Backoff{Base: time.Second, Max: 5 * time.Minute},
	// CPU-bound: one ONNX intra-op thread per handler, so about one
	// handler per core.
	Concurrency:   2,
	AckWait:       30 * time.Second,
	MaxAckPending: 64,
}
