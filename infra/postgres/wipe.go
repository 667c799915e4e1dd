package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The wipe's store steps (docs/design.md invariant 3), in the order the wipe stage
// runs them: DestroySessionKey (crypto-shredding, committed on its own before
// anything else), then the stage deletes the session's objects, then
// FinishWipe (rows, tombstone, receipt and idv.session.deleted in one
// transaction). Each step is idempotent, so a wipe redelivered after a crash
// at any point completes, with one receipt and one event.

// Wipes holds the store side of wiping sessions and their deletion receipts.
type Wipes struct{ db *sqlx.DB }

// NewWipes returns the wipe store over db.
func NewWipes(db *sql.DB) *Wipes { return &Wipes{db: wrap(db)} }

// SessionForWipe reads what the wipe of a tenant's session needs: its state,
// its times, its receipt once there is one, and how many captures rows it
// still has. ErrNotFound if the tenant has no such session.
func (s *Wipes) SessionForWipe(ctx context.Context, tenantID, id uuid.UUID) (idv.WipeTarget, error) {
	var row struct {
		SessionID       uuid.UUID      `db:"session_id"`
		TenantID        uuid.UUID      `db:"tenant_id"`
		Status          string         `db:"status"`
		Decision        sql.NullString `db:"decision"`
		CreatedAt       time.Time      `db:"created_at"`
		ExpiresAt       time.Time      `db:"expires_at"`
		WipeReason      sql.NullString `db:"wipe_reason"`
		WipeRequestedAt *time.Time     `db:"wipe_requested_at"`
		KeyDestroyedAt  *time.Time     `db:"key_destroyed_at"`
		DeletedAt       *time.Time     `db:"deleted_at"`
		ReceiptID       uuid.NullUUID  `db:"receipt_id"`
		Captures        int            `db:"captures"`
	}
	err := scopedGet(ctx, s.db, tenantScope(tenantID), &row, `SELECT s.session_id, s.tenant_id, s.status, s.decision, s.created_at,
			s.expires_at, s.wipe_reason, s.wipe_requested_at, s.key_destroyed_at, s.deleted_at,
			(SELECT r.receipt_id FROM deletion_receipts r WHERE r.session_id = s.session_id AND r.tenant_id = s.tenant_id) AS receipt_id,
			(SELECT count(*) FROM captures c WHERE c.session_id = s.session_id AND c.tenant_id = s.tenant_id) AS captures
		FROM sessions s WHERE s.session_id = $1 AND s.tenant_id = $2`, id, tenantID)
	if err != nil {
		return idv.WipeTarget{}, rowErr(err, "wipes: session %s", "wipes: read session %s", id)
	}
	return idv.WipeTarget{SessionID: row.SessionID, TenantID: row.TenantID, Status: row.Status,
		Decision: row.Decision.String, CreatedAt: row.CreatedAt, ExpiresAt: row.ExpiresAt,
		WipeReason: row.WipeReason.String, WipeRequestedAt: row.WipeRequestedAt, KeyDestroyedAt: row.KeyDestroyedAt,
		DeletedAt: row.DeletedAt, ReceiptID: row.ReceiptID.UUID, Captures: row.Captures}, nil
}

// lockWipeTarget locks the session row for the rest of tx and returns its wipe
// state. ErrNotFound if the tenant has no such session; ErrConflict if no
// wipe was requested: nothing is ever destroyed without that instruction.
func lockWipeTarget(ctx context.Context, tx *sqlx.Tx, tenantID, id uuid.UUID) (keyDestroyed, deleted bool, err error) {
	var row struct {
		Requested    bool `db:"requested"`
		KeyDestroyed bool `db:"key_destroyed"`
		Deleted      bool `db:"deleted"`
	}
	err = tx.GetContext(ctx, &row, `SELECT wipe_requested_at IS NOT NULL AS requested,
			key_destroyed_at IS NOT NULL AS key_destroyed, deleted_at IS NOT NULL AS deleted
		FROM sessions WHERE session_id = $1 AND tenant_id = $2 FOR UPDATE`, id, tenantID)
	if err != nil {
		return false, false, rowErr(err, "wipes: session %s", "wipes: lock session %s", id)
	}
	if !row.Requested {
		return false, false, fmt.Errorf("wipes: session %s: no wipe requested: %w", id, idv.ErrConflict)
	}
	return row.KeyDestroyed, row.Deleted, nil
}

// DestroySessionKey is the wipe's first step, crypto-shredding: in one
// transaction it deletes the session's wrapped private key (its
// session_keys row) and records key_destroyed_at = at, unless already
// recorded. Once it commits, no capture of the session can be opened by
// anyone holding only the live database and vault. destroyed reports whether
// this call deleted the key; false when an earlier call had. ErrNotFound if
// the tenant has no such session; ErrConflict if its wipe was not requested.
func (s *Wipes) DestroySessionKey(ctx context.Context, tenantID, id uuid.UUID, at time.Time) (destroyed bool, err error) {
	err = inTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		if _, _, err := lockWipeTarget(ctx, tx, tenantID, id); err != nil {
			return err
		}
		n, err := execCount(ctx, tx, `DELETE FROM session_keys WHERE session_id = $1 AND tenant_id = $2`, id, tenantID)
		if err != nil {
			return fmt.Errorf("wipes: delete key of %s: %w", id, err)
		}
		destroyed = n > 0
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET key_destroyed_at = COALESCE(key_destroyed_at, $3)
			WHERE session_id = $1 AND tenant_id = $2`, id, tenantID, at); err != nil {
			return fmt.Errorf("wipes: record key destruction of %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return destroyed, nil
}

// FinishWipe is the wipe's last step, once the session's objects are
// deleted: in one transaction it deletes the session's captures rows (the
// only other rows that describe its personal data; check results hold codes
// and stay, as do webhook delivery records), turns the session row into the
// tombstone (status deleted, deleted_at = at), stores the signed receipt,
// appends ev (idv.session.deleted) to the outbox and a data_deleted audit
// entry to the tenant's log.
//
// A session already deleted is left as it is and FinishWipe returns nil: the
// first receipt and event stand. ErrNotFound if the tenant has no such
// session; ErrConflict, with nothing written, if its wipe was not requested,
// its key is not destroyed yet (DestroySessionKey comes first), or it has
// another number of captures than r states.
func (s *Wipes) FinishWipe(ctx context.Context, tenantID, id uuid.UUID, at time.Time, r idv.Receipt, ev idv.Event) error {
	return inOutboxTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		keyDestroyed, deleted, err := lockWipeTarget(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if deleted {
			return nil
		}
		if !keyDestroyed {
			return fmt.Errorf("wipes: session %s: key not destroyed yet: %w", id, idv.ErrConflict)
		}
		var keys int
		if err := tx.GetContext(ctx, &keys, `SELECT count(*) FROM session_keys WHERE session_id = $1 AND tenant_id = $2`, id, tenantID); err != nil {
			return fmt.Errorf("wipes: look up key of %s: %w", id, err)
		}
		if keys != 0 {
			return fmt.Errorf("wipes: session %s: key destruction recorded but its key row exists: %w", id, idv.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE check_results SET fields_sealed = NULL
			WHERE session_id = $1 AND tenant_id = $2`, id, tenantID); err != nil {
			return fmt.Errorf("wipes: delete extracted fields of %s: %w", id, err)
		}
		n, err := execCount(ctx, tx, `DELETE FROM captures WHERE session_id = $1 AND tenant_id = $2`, id, tenantID)
		if err != nil {
			return fmt.Errorf("wipes: delete captures of %s: %w", id, err)
		}
		if int(n) != r.Captures {
			return fmt.Errorf("wipes: session %s has %d captures, the receipt states %d: %w", id, n, r.Captures, idv.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET status = 'deleted', deleted_at = $3
			WHERE session_id = $1 AND tenant_id = $2`, id, tenantID, at); err != nil {
			return fmt.Errorf("wipes: mark %s deleted: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO deletion_receipts
			(receipt_id, tenant_id, session_id, statement, signature, key_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, r.ID, tenantID, id, r.Statement, r.Signature, r.KeyID, at); err != nil {
			return fmt.Errorf("wipes: store receipt of %s: %w", id, err)
		}
		if err := appendOutbox(ctx, tx, ev); err != nil {
			return err
		}
		return appendAudit(ctx, tx, idv.AuditEntry{TenantID: tenantID, At: at, Actor: idv.ActorOf(ctx, idv.ActorWipe),
			Action: idv.AuditDataDeleted, SessionID: id,
			Detail: map[string]string{"receipt_id": r.ID.String(), "captures": strconv.Itoa(r.Captures)}})
	})
}

// RecordLateObjects stores the addendum to a wiped session's receipt and
// appends late_objects_deleted to the tenant's audit log, in one
// transaction: the tail sweep deleted objects under a session wiped before.
func (s *Wipes) RecordLateObjects(ctx context.Context, tenantID, id uuid.UUID, a idv.Addendum, objects int, at time.Time) error {
	return inTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO deletion_addenda
			(addendum_id, receipt_id, tenant_id, session_id, statement, signature, key_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			a.ID, a.ReceiptID, tenantID, id, a.Statement, a.Signature, a.KeyID, at); err != nil {
			return fmt.Errorf("wipes: store addendum of %s: %w", id, err)
		}
		return appendAudit(ctx, tx, idv.AuditEntry{TenantID: tenantID, At: at, Actor: idv.ActorOf(ctx, idv.ActorWipe),
			Action: idv.AuditLateObjectsDeleted, SessionID: id,
			Detail: map[string]string{"receipt_id": a.ReceiptID.String(), "addendum_id": a.ID.String(), "objects": strconv.Itoa(objects)}})
	})
}

// Receipt reads a tenant's deletion receipt with its addenda; another
// tenant's receipt, like one that does not exist, is ErrNotFound.
func (s *Wipes) Receipt(ctx context.Context, tenantID, receiptID uuid.UUID) (idv.StoredReceipt, error) {
	var r idv.StoredReceipt
	err := scopedScan(ctx, s.db, tenantScope(tenantID), receiptFields(&r), `SELECT `+receiptColumns+`
		FROM deletion_receipts WHERE receipt_id = $1 AND tenant_id = $2`, receiptID, tenantID)
	if err != nil {
		return idv.StoredReceipt{}, rowErr(err, "deletion receipts: %s", "deletion receipts: get %s", receiptID)
	}
	rs := []idv.StoredReceipt{r}
	if err := withAddenda(ctx, s.db, tenantID, rs); err != nil {
		return idv.StoredReceipt{}, err
	}
	return rs[0], nil
}

// withAddenda fills in the addenda of the tenant's receipts rs, oldest
// first, with one query.
func withAddenda(ctx context.Context, db *sqlx.DB, tenantID uuid.UUID, rs []idv.StoredReceipt) error {
	if len(rs) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(rs))
	at := make(map[uuid.UUID]int, len(rs))
	for i, r := range rs {
		ids[i], at[r.ReceiptID] = r.ReceiptID, i
	}
	addenda, err := scopedRows(ctx, db, tenantScope(tenantID), addendumFields, `SELECT `+addendumColumns+`
		FROM deletion_addenda WHERE tenant_id = $1 AND receipt_id = ANY($2) ORDER BY created_at, addendum_id`,
		tenantID, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("deletion receipts: addenda of %d receipts of %s: %w", len(rs), tenantID, err)
	}
	for _, a := range addenda {
		i := at[a.ReceiptID]
		rs[i].Addenda = append(rs[i].Addenda, a)
	}
	return nil
}
