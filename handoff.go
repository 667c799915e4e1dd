package idv

import (
	"time"

	"github.com/google/uuid"
)

// HandoffTTL is how long a hand-off code works once made: long enough to
// pick up a phone and scan or type it, short enough that a code seen over
// a shoulder is soon worth nothing.
const HandoffTTL = 10 * time.Minute

// Handoff is a single-use code that gives a second device (a phone) its
// own app token for a session opened on a first (a desktop without a
// camera). Only the code's hash is kept; once redeemed, the hash of the
// token it gave.
type Handoff struct {
	CodeHash            []byte
	TenantID, SessionID uuid.UUID
	CreatedAt           time.Time
	ExpiresAt           time.Time
}
