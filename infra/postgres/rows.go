package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv"
	"github.com/jmoiron/sqlx"
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

// scanRows runs query in q and scans each row into a new T: fields points
// at a T's fields in the order of the query's columns, so a store reads
// into the core's type with no row type of its own. None is an empty
// slice, not nil.
func scanRows[T any](ctx context.Context, q sqlx.QueryerContext, fields func(*T) []any, query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var v T
		if err := rows.Scan(fields(&v)...); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// receiptColumns are a deletion receipt's columns, in receiptFields' order.
const receiptColumns = `receipt_id, tenant_id, session_id, statement, signature, key_id, created_at`

// receiptFields points at a stored receipt's fields in receiptColumns' order.
func receiptFields(r *idv.StoredReceipt) []any {
	return []any{&r.ReceiptID, &r.TenantID, &r.SessionID, &r.Statement, &r.Signature, &r.KeyID, &r.CreatedAt}
}

// addendumColumns are a deletion addendum's columns, in addendumFields' order.
const addendumColumns = `addendum_id, receipt_id, statement, signature, key_id, created_at`

// addendumFields points at an addendum's fields in addendumColumns' order.
func addendumFields(a *idv.Addendum) []any {
	return []any{&a.ID, &a.ReceiptID, &a.Statement, &a.Signature, &a.KeyID, &a.CreatedAt}
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
