package postgres

import (
	"time"

	"github.com/google/uuid"
)

// apiKeyRow is idv.APIKey as sqlx scans it.
type apiKeyRow struct {
	ID         string    `db:"key_id"`
	TenantID   uuid.UUID `db:"tenant_id"`
	SecretHash []byte    `db:"secret_hash"`
	// Offboarding reports that the tenant is being offboarded: its keys
	// are refused from then on (Offboardings.Start).
	Offboarding bool `db:"offboarding"`
}

// storedReceiptRow is idv.StoredReceipt as sqlx scans it.
type storedReceiptRow struct {
	ReceiptID uuid.UUID `db:"receipt_id"`
	TenantID  uuid.UUID `db:"tenant_id"`
	SessionID uuid.UUID `db:"session_id"`
	Statement []byte    `db:"statement"`
	Signature []byte    `db:"signature"`
	KeyID     string    `db:"key_id"`
	CreatedAt time.Time `db:"created_at"`
}

// objectionRow is idv.Objection as sqlx scans it.
type objectionRow struct {
	ID             uuid.UUID `db:"objection_id"`
	TenantID       uuid.UUID `db:"tenant_id"`
	SubprocessorID string    `db:"subprocessor_id"`
	Reason         string    `db:"reason"`
	ObjectedAt     time.Time `db:"objected_at"`
}
