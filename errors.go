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
	// ErrEpochDestroyed: the epoch key of an expiry hour is gone, so no
	// session key wrapped under it can be opened and no new one can be made.
	ErrEpochDestroyed = errors.New("epoch key destroyed")
	// ErrWrappedKey: a wrapped session key did not authenticate under its
	// epoch key (its tenant, session, epoch or bytes were changed).
	ErrWrappedKey = errors.New("wrapped session key does not authenticate")
	// ErrSessionEnded: the session's wipe was requested; it takes no more
	// writes (a check's result, a stored copy), so nothing lands on a
	// session whose receipt says it is gone.
	ErrSessionEnded = errors.New("session ended")
	// ErrWipedBefore: the session's wipe was finished already (by an
	// earlier delivery or another worker); its receipt and event stand.
	ErrWipedBefore = errors.New("session wiped before")
	// ErrObjectNotFound: no stored object under the key.
	ErrObjectNotFound = errors.New("object not found")
	// ErrObjectTooLarge: the object is larger than the caller agreed to read.
	ErrObjectTooLarge = errors.New("object too large")
	// ErrChallengeLimit: the attempt's challenge was handed out
	// schemas.MaxChallengeIssues times already.
	ErrChallengeLimit = errors.New("challenge handed out too often for the attempt")
	// ErrNotApplicable: the session has no challenge to hand out (it
	// does not ask for liveness, or no longer takes captures).
	ErrNotApplicable = errors.New("no challenge to hand out")
)
