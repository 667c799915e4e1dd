package postgres

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv"
)

// rowErr is the error of a read of one row that failed with err: no row
// (sql.ErrNoRows) is idv.ErrNotFound under the message missing, any other
// error is wrapped under failed; both are formats of args.
func rowErr(err error, missing, failed string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf(missing+": %w", append(args, idv.ErrNotFound)...)
	}
	return fmt.Errorf(failed+": %w", append(args, err)...)
}

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

// offboardingRow is idv.Offboarding as sqlx scans it.
type offboardingRow struct {
	TenantID          uuid.UUID      `db:"tenant_id"`
	StartedAt         time.Time      `db:"started_at"`
	ExportedAt        *time.Time     `db:"exported_at"`
	ExportSHA256      []byte         `db:"export_sha256"`
	ExportSessions    *int           `db:"export_sessions"`
	NoExport          bool           `db:"no_export"`
	EpochKeys         *int           `db:"epoch_keys"`
	EpochsDestroyedAt *time.Time     `db:"epochs_destroyed_at"`
	ObjectsDeleted    int64          `db:"objects_deleted"`
	ObjectsDeletedAt  *time.Time     `db:"objects_deleted_at"`
	ReceiptID         uuid.NullUUID  `db:"receipt_id"`
	Statement         []byte         `db:"statement"`
	Signature         []byte         `db:"signature"`
	KeyID             sql.NullString `db:"key_id"`
	FinishedAt        *time.Time     `db:"finished_at"`
}

func (r offboardingRow) offboarding() idv.Offboarding {
	o := idv.Offboarding{TenantID: r.TenantID, StartedAt: r.StartedAt, ExportedAt: r.ExportedAt,
		ExportSHA256: r.ExportSHA256, ExportSessions: r.ExportSessions, NoExport: r.NoExport, EpochKeys: r.EpochKeys,
		EpochsDestroyedAt: r.EpochsDestroyedAt, ObjectsDeleted: r.ObjectsDeleted, ObjectsDeletedAt: r.ObjectsDeletedAt,
		Statement: r.Statement, Signature: r.Signature, KeyID: r.KeyID.String, FinishedAt: r.FinishedAt}
	if r.ReceiptID.Valid {
		o.ReceiptID = &r.ReceiptID.UUID
	}
	return o
}
