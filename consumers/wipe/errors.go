package wipe

import (
	"errors"

	"github.com/idv-oss/idv"
)

// Sentinel errors. Handle's errors wrap them with ids, never more.
var (
	// ErrMalformedEvent: the event is not an idv.session.expired this stage
	// understands; it is terminated (Permanent), never retried.
	ErrMalformedEvent = idv.ErrMalformedEvent

	// ErrNotRequested: the session exists but nobody requested its wipe
	// (its row has no wipe_requested_at). Nothing is destroyed without that
	// instruction, which RequestWipe writes in the same transaction as the
	// event; the event is terminated (Permanent).
	ErrNotRequested = errors.New("wipe: no wipe requested for the session")
)
