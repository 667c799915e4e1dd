package idv

import (
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/schemas"
)

// Status is where a session is in its life: created (taking captures),
// submitted (its checks run), retake_requested (a check asked the person
// for new captures: taking those of the next attempt), decided, expired
// (its wipe requested), deleted (its personal data gone).
type Status string

// Session statuses, in the order a session passes through them.
const (
	StatusCreated   Status = "created"
	StatusSubmitted Status = "submitted"
	// StatusRetakeRequested: a check ended with a reason the person can
	// fix; the session takes the captures of its next attempt.
	StatusRetakeRequested Status = "retake_requested"
	StatusDecided         Status = "decided"
	StatusExpired         Status = "expired"
	StatusDeleted         Status = "deleted"
)

// Session is one verification: what the tenant asked for, the person's
// credentials, and where the session is in its life. It holds no personal
// data (docs/design.md invariant 1): that is sealed in its captures.
type Session struct {
	ID           uuid.UUID
	TenantID     uuid.UUID
	Status       Status
	Checks       []string // schemas.CheckDocument, …
	SelfieFrames int
	// Challenge is the liveness challenge's steps, nil without the check.
	Challenge []string
	// LightChallenge: the liveness check also takes the light challenge
	// (schemas/light.go); set when the session was created with the
	// liveness check under a policy asking for it.
	LightChallenge bool
	// ChipChallenge is the nonce for the chip's active authentication.
	ChipChallenge     []byte
	RetentionDays     int
	CreatedAt         time.Time
	ExpiresAt         time.Time
	AppTokenHash      []byte
	AppTokenExpiresAt time.Time
	SubmittedAt       *time.Time
	// Attempt is the person's current attempt, from 1; MaxAttempts how many
	// the session allows (the tenant's policy when it was created).
	Attempt, MaxAttempts int
	// Retake is what the checks of the last attempt asked the person to
	// take again, and why; empty unless the status is retake_requested.
	Retake          []schemas.Retake
	Decision        *Decision
	DecidedAt       *time.Time
	WipeReason      *string
	WipeRequestedAt *time.Time
	DeletedAt       *time.Time
	ReceiptID       *uuid.UUID
}

// Ended reports whether the session's wipe was requested or done: it
// takes no more captures and its key may be gone.
func (s Session) Ended() bool { return s.WipeRequestedAt != nil }

// Open reports whether the session still takes captures and a submit: it
// is new, or waits for the captures of a retake.
func (s Session) Open() bool { return s.Status == StatusCreated || s.Status == StatusRetakeRequested }

// WrappedKey is a session's HPKE key pair as the main database keeps it:
// the public key in the clear (what the app seals to), the private key
// wrapped by the vault under the epoch key of the session's expiry hour
// (docs/design.md invariants 2 and 3).
type WrappedKey struct {
	TenantID, SessionID uuid.UUID
	Epoch               time.Time // expiry hour, UTC, truncated to the hour
	PublicKey           []byte
	// Wrapped is the private key (its 32-byte X-Wing seed) sealed with
	// AES-256-GCM under the epoch key, random nonce first, associated data
	// tenant|session|epoch.
	Wrapped []byte
}

// EpochOf returns the epoch of an expiry time: its hour, in UTC, truncated
// down. One epoch key per tenant and hour wraps the keys of the sessions
// expiring in it.
func EpochOf(expiresAt time.Time) time.Time {
	return expiresAt.UTC().Truncate(time.Hour)
}

// Epoch names one tenant's epoch key: the expiry hour (UTC) whose session
// keys it wraps.
type Epoch struct {
	TenantID uuid.UUID
	Hour     time.Time
}

// Capture is one sealed item of a session's attempt in its slot (kind,
// index): what the app declared and uploaded, or what a check stored
// itself (a redacted copy). Size and SHA256 are of the sealed bytes.
type Capture struct {
	SessionID  uuid.UUID
	TenantID   uuid.UUID
	Attempt    int
	Kind       schemas.CaptureKind
	Index      int
	ObjectKey  string
	Size       int64
	SHA256     []byte
	DeclaredAt time.Time
}

// CapturesOf returns the captures of one attempt among caps, in their order.
func CapturesOf(caps []Capture, attempt int) []Capture {
	var out []Capture
	for _, c := range caps {
		if c.Attempt == attempt {
			out = append(out, c)
		}
	}
	return out
}
