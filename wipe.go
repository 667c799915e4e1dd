package idv

import (
	"time"

	"github.com/google/uuid"
)

// WipeTarget is what the wipe stage needs to know about a session. It holds
// ids, codes, times and a count; no personal data.
type WipeTarget struct {
	SessionID       uuid.UUID
	TenantID        uuid.UUID
	Status          string
	Decision        string // "" while undecided
	CreatedAt       time.Time
	ExpiresAt       time.Time
	WipeReason      string     // "" until the wipe is requested
	WipeRequestedAt *time.Time // nil until the wipe is requested
	KeyDestroyedAt  *time.Time // set by DestroySessionKey
	DeletedAt       *time.Time // set by FinishWipe
	ReceiptID       uuid.UUID  // uuid.Nil until FinishWipe
	// Captures is how many captures rows the session still has.
	Captures int
}

// Receipt is a signed deletion receipt as FinishWipe stores it.
type Receipt struct {
	ID        uuid.UUID
	Statement []byte // the exact bytes that were signed (schemas.DeletionReceipt as JSON)
	Signature []byte // Ed25519, 64 bytes
	KeyID     string // which receipt signing key
	// Captures is how many captures rows the statement says the wipe
	// deletes. FinishWipe deletes the session's captures and refuses
	// (ErrConflict, nothing written) if it finds another number, so a
	// stored receipt never states a count that is not true.
	Captures int
}

// StoredReceipt is a deletion receipt as read back for its tenant.
type StoredReceipt struct {
	ReceiptID uuid.UUID
	TenantID  uuid.UUID
	SessionID uuid.UUID
	Statement []byte
	Signature []byte
	KeyID     string
	CreatedAt time.Time
}
