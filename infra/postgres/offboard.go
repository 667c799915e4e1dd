package postgres

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv"
	"github.com/jmoiron/sqlx"
)

// Offboarding a tenant (migration 018): the store side of `idv tenant
// offboard`. Every method takes the tenant id and touches that tenant's
// rows only, in the tenant's scope (row-level security, scope.go). The delete's steps record their completion in
// tenant_offboardings, so a delete interrupted at any point resumes.

// OffboardedTables are the tables Finish deletes the tenant's rows from, in
// an order the foreign keys allow. What it keeps: the tenants row (stripped
// of its webhook endpoint and secret), audit_events, breach_tenants and
// tenant_offboardings.
var OffboardedTables = []string{"data_subject_requests", "handoffs", "captures", "attempt_challenges", "check_results", "session_keys",
	"deletion_addenda", "deletion_receipts", "sessions", "outbox", "webhook_deliveries", "api_keys", "support_grants",
	"subprocessor_announcements", "subprocessor_objections", "webhook_secrets_retiring", "audit_checkpoints", "tenant_logos"}

// Offboardings stores tenants' offboardings.
type Offboardings struct{ db *sqlx.DB }

// NewOffboardings returns the offboarding store over db.
func NewOffboardings(db *sql.DB) *Offboardings { return &Offboardings{db: wrap(db)} }

const offboardingColumns = `tenant_id, started_at, exported_at, export_sha256, export_sessions, no_export,
	epoch_keys, epochs_destroyed_at, objects_deleted, objects_deleted_at, receipt_id, statement, signature,
	key_id, finished_at`

// Start marks the tenant offboarding, unless it is already: from then on its
// API keys are refused (Tenants.APIKey reports it) and its sessions' app
// tokens have expired. Recorded as offboarding_started. ErrNotFound if there
// is no such tenant.
func (s *Offboardings) Start(ctx context.Context, tenantID uuid.UUID, at time.Time) (idv.Offboarding, error) {
	err := inTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		var started *time.Time
		err := tx.GetContext(ctx, &started, `SELECT offboarding_at FROM tenants WHERE tenant_id = $1 FOR NO KEY UPDATE`, tenantID)
		if err != nil {
			return rowErr(err, "offboarding: tenant %s", "offboarding: lock tenant %s", tenantID)
		}
		if started != nil {
			return nil
		}
		for _, q := range []string{
			`UPDATE tenants SET offboarding_at = $2 WHERE tenant_id = $1`,
			`INSERT INTO tenant_offboardings (tenant_id, started_at) VALUES ($1, $2)`,
			`UPDATE sessions SET app_token_expires_at = $2 WHERE tenant_id = $1 AND app_token_expires_at > $2`,
		} {
			if _, err := tx.ExecContext(ctx, q, tenantID, at); err != nil {
				return fmt.Errorf("offboarding: start %s: %w", tenantID, err)
			}
		}
		return appendAudit(ctx, tx, idv.AuditEntry{TenantID: tenantID, At: at, Actor: idv.ActorOf(ctx, idv.ActorOperator),
			Action: idv.AuditOffboardingStarted})
	})
	if err != nil {
		return idv.Offboarding{}, err
	}
	return s.Get(ctx, tenantID)
}

// Get reads the tenant's offboarding; ErrNotFound if it never started.
func (s *Offboardings) Get(ctx context.Context, tenantID uuid.UUID) (idv.Offboarding, error) {
	var o offboardingRow
	err := scopedGet(ctx, s.db, tenantScope(tenantID), &o, `SELECT `+offboardingColumns+` FROM tenant_offboardings WHERE tenant_id = $1`, tenantID)
	if err != nil {
		return idv.Offboarding{}, rowErr(err, "offboarding: tenant %s not offboarding", "offboarding: get %s", tenantID)
	}
	return o.offboarding(), nil
}

// Sessions lists up to limit of the tenant's sessions not yet wiped with
// an id after after, in id order: one page of the export.
func (s *Offboardings) Sessions(ctx context.Context, tenantID, after uuid.UUID, limit int) ([]idv.Session, error) {
	var out []sessionRow
	if err := scopedSelect(ctx, s.db, tenantScope(tenantID), &out, `SELECT `+sessionColumns+` FROM sessions
		WHERE tenant_id = $1 AND deleted_at IS NULL AND session_id > $2 ORDER BY session_id LIMIT $3`,
		tenantID, after, limit); err != nil {
		return nil, fmt.Errorf("offboarding: list sessions of %s: %w", tenantID, err)
	}
	return sessionRows(out), nil
}

// Receipts lists up to limit of the tenant's deletion receipts with an id
// after after, in id order.
func (s *Offboardings) Receipts(ctx context.Context, tenantID, after uuid.UUID, limit int) ([]idv.StoredReceipt, error) {
	receipts, err := scopedRows(ctx, s.db, tenantScope(tenantID), receiptFields, `SELECT `+receiptColumns+`
		FROM deletion_receipts WHERE tenant_id = $1 AND receipt_id > $2 ORDER BY receipt_id LIMIT $3`,
		tenantID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("offboarding: list receipts of %s: %w", tenantID, err)
	}
	if err := withAddenda(ctx, s.db, tenantID, receipts); err != nil {
		return nil, fmt.Errorf("offboarding: %w", err)
	}
	return receipts, nil
}

// RecordExport records that an archive of sessions sessions was written,
// with the SHA-256 of its sealed bytes, and appends offboarding_exported.
func (s *Offboardings) RecordExport(ctx context.Context, tenantID uuid.UUID, at time.Time, sha256 []byte, sessions, entries int) error {
	return inTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tenant_offboardings SET exported_at = $2, export_sha256 = $3,
			export_sessions = $4 WHERE tenant_id = $1 AND finished_at IS NULL`, tenantID, at, sha256, sessions)
		if err != nil {
			return fmt.Errorf("offboarding: record export of %s: %w", tenantID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("offboarding: record export of %s: not offboarding or already deleted: %w", tenantID, idv.ErrConflict)
		}
		return appendAudit(ctx, tx, idv.AuditEntry{TenantID: tenantID, At: at, Actor: idv.ActorOf(ctx, idv.ActorOperator),
			Action: idv.AuditOffboardingExported, Detail: map[string]string{"sessions": strconv.Itoa(sessions),
				"entries": strconv.Itoa(entries), "archive_hash": hex.EncodeToString(sha256)}})
	})
}

// MarkNoExport records that the delete goes ahead without an archive, as
// the operator instructed with --no-export.
func (s *Offboardings) MarkNoExport(ctx context.Context, tenantID uuid.UUID) error {
	return s.exec(ctx, tenantID, "mark no export", `UPDATE tenant_offboardings SET no_export = true WHERE tenant_id = $1`)
}

// RecordEpochKeys records how many live epoch keys the tenant has before
// they are destroyed, unless a count is recorded already (a resumed delete
// keeps the first), and returns the recorded count.
func (s *Offboardings) RecordEpochKeys(ctx context.Context, tenantID uuid.UUID, n int) (int, error) {
	var got int
	err := scopedGet(ctx, s.db, tenantScope(tenantID), &got, `UPDATE tenant_offboardings SET epoch_keys = COALESCE(epoch_keys, $2)
		WHERE tenant_id = $1 RETURNING epoch_keys`, tenantID, n)
	if err != nil {
		return 0, fmt.Errorf("offboarding: record epoch keys of %s: %w", tenantID, err)
	}
	return got, nil
}

// EpochsDestroyed records that every epoch key of the tenant is destroyed.
func (s *Offboardings) EpochsDestroyed(ctx context.Context, tenantID uuid.UUID, at time.Time) error {
	return s.exec(ctx, tenantID, "record epochs destroyed", `UPDATE tenant_offboardings
		SET epochs_destroyed_at = COALESCE(epochs_destroyed_at, $2) WHERE tenant_id = $1`, at)
}

// AddObjectsDeleted adds n to the objects deleted and, when done, records
// that the tenant's storage prefix was listed empty.
func (s *Offboardings) AddObjectsDeleted(ctx context.Context, tenantID uuid.UUID, n int, done bool, at time.Time) error {
	var doneAt *time.Time
	if done {
		doneAt = &at
	}
	return s.exec(ctx, tenantID, "record objects deleted", `UPDATE tenant_offboardings
		SET objects_deleted = objects_deleted + $2, objects_deleted_at = COALESCE(objects_deleted_at, $3)
		WHERE tenant_id = $1`, n, doneAt)
}

func (s *Offboardings) exec(ctx context.Context, tenantID uuid.UUID, what, q string, args ...any) error {
	if _, err := scopedExec(ctx, s.db, tenantScope(tenantID), q, append([]any{tenantID}, args...)...); err != nil {
		return fmt.Errorf("offboarding: %s of %s: %w", what, tenantID, err)
	}
	return nil
}

// Finish is the delete's last step, once the epoch keys and objects are
// gone: in one transaction it deletes the tenant's rows from every table of
// OffboardedTables, strips the tenant row of its webhook endpoint and
// secret, appends tenant_offboarded (the audit chain's new head), and stores
// the receipt sign returns for the facts. A tenant already finished is left
// as it is and its stored offboarding returned. ErrConflict if the epochs
// or objects are not recorded gone yet.
func (s *Offboardings) Finish(ctx context.Context, tenantID uuid.UUID, at time.Time,
	sign func(idv.OffboardFacts) (idv.SignedReceipt, error)) (idv.Offboarding, error) {
	err := inTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		var row offboardingRow
		err := tx.GetContext(ctx, &row, `SELECT `+offboardingColumns+` FROM tenant_offboardings
			WHERE tenant_id = $1 FOR UPDATE`, tenantID)
		if err != nil {
			return rowErr(err, "offboarding: tenant %s not offboarding", "offboarding: lock %s", tenantID)
		}
		o := row.offboarding()
		if o.FinishedAt != nil {
			return nil
		}
		if o.EpochsDestroyedAt == nil || o.ObjectsDeletedAt == nil {
			return fmt.Errorf("offboarding: %s: epoch keys or objects not recorded destroyed: %w", tenantID, idv.ErrConflict)
		}
		facts, err := deleteTenantRows(ctx, tx, o, at)
		if err != nil {
			return err
		}
		r, err := sign(facts)
		if err != nil {
			return fmt.Errorf("offboarding: sign receipt of %s: %w", tenantID, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tenant_offboardings SET receipt_id = $2, statement = $3,
			signature = $4, key_id = $5, finished_at = $6 WHERE tenant_id = $1`,
			tenantID, facts.ReceiptID, r.Statement, r.Signature, r.KeyID, at); err != nil {
			return fmt.Errorf("offboarding: store receipt of %s: %w", tenantID, err)
		}
		return nil
	})
	if err != nil {
		return idv.Offboarding{}, err
	}
	return s.Get(ctx, tenantID)
}

// deleteTenantRows deletes the tenant's rows, strips the tenant row and
// appends tenant_offboarded, and returns what it did.
func deleteTenantRows(ctx context.Context, tx *sqlx.Tx, o idv.Offboarding, at time.Time) (idv.OffboardFacts, error) {
	f := idv.OffboardFacts{Offboarding: o, ReceiptID: uuid.New(), FinishedAt: at, RowsDeleted: map[string]int{}}
	var counts struct {
		All      int `db:"total"`
		NotWiped int `db:"not_wiped"`
	}
	if err := tx.GetContext(ctx, &counts, `SELECT count(*) AS total, count(*) FILTER (WHERE deleted_at IS NULL) AS not_wiped
		FROM sessions WHERE tenant_id = $1`, o.TenantID); err != nil {
		return f, fmt.Errorf("offboarding: count sessions of %s: %w", o.TenantID, err)
	}
	f.Sessions, f.NotWiped = counts.All, counts.NotWiped
	// The keys' tombstones: their holders get 403 tenant_offboarding, not
	// 401, after the delete (Tenants.APIKey).
	if _, err := tx.ExecContext(ctx, `INSERT INTO api_key_tombstones (key_id, tenant_id, secret_hash, created_at, revoked_at, offboarded_at)
		SELECT key_id, tenant_id, secret_hash, created_at, revoked_at, $2 FROM api_keys WHERE tenant_id = $1
		ON CONFLICT (key_id) DO NOTHING`, o.TenantID, at); err != nil {
		return f, fmt.Errorf("offboarding: keep API key tombstones of %s: %w", o.TenantID, err)
	}
	for _, table := range OffboardedTables {
		n, err := execCount(ctx, tx, `DELETE FROM `+table+` WHERE tenant_id = $1`, o.TenantID)
		if err != nil {
			return f, fmt.Errorf("offboarding: delete %s of %s: %w", table, o.TenantID, err)
		}
		f.RowsDeleted[table] = int(n)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tenants SET webhook_url = '', webhook_secret_sealed = '\x'::bytea,
		webhook_disabled_at = COALESCE(webhook_disabled_at, $2) WHERE tenant_id = $1`, o.TenantID, at); err != nil {
		return f, fmt.Errorf("offboarding: strip tenant %s: %w", o.TenantID, err)
	}
	epochs := 0
	if o.EpochKeys != nil {
		epochs = *o.EpochKeys
	}
	if err := appendAudit(ctx, tx, idv.AuditEntry{TenantID: o.TenantID, At: at, Actor: idv.ActorOf(ctx, idv.ActorOperator),
		Action: idv.AuditTenantOffboarded, Detail: map[string]string{"receipt_id": f.ReceiptID.String(),
			"sessions": strconv.Itoa(f.Sessions), "epoch_keys": strconv.Itoa(epochs),
			"objects": strconv.FormatInt(o.ObjectsDeleted, 10)}}); err != nil {
		return f, err
	}
	if err := tx.QueryRowxContext(ctx, `SELECT seq, hash FROM audit_events WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1`,
		o.TenantID).Scan(&f.AuditSeq, &f.AuditHash); err != nil {
		return f, fmt.Errorf("offboarding: read audit head of %s: %w", o.TenantID, err)
	}
	return f, nil
}
