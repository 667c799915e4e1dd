package idv

import "errors"

// Sentinel errors of the core's services and of the stores that implement
// its interfaces. The HTTP edge maps them to statuses; the consume loop maps
// them to term or nak.
var (
	// ErrNotFound: no such session, result or row within the caller's tenant.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the session or row is not in the state the change requires.
	ErrConflict = errors.New("state conflict")
	// ErrMalformedEvent: a delivered message is not the event it claims to
	// be; no retry can fix it.
	ErrMalformedEvent = errors.New("malformed event")
)
