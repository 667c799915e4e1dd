package wipe

import "github.com/idv-oss/idv"

// Sentinel errors, the core's. Handle's errors wrap them with ids, never more.
var (
	// ErrMalformedEvent: the event is not an idv.session.expired this stage
	// understands; it is terminated (Permanent), never retried.
	ErrMalformedEvent = idv.ErrMalformedEvent

	// ErrNotRequested: the session exists but nobody requested its wipe;
	// the event is terminated (Permanent).
	ErrNotRequested = idv.ErrNotRequested
)
