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
type Wipes struct {
	db *sqlx.DB
	// destroying and finishing group the DestroySessionKey and FinishWipe
	// calls of one tenant that arrive while one of its batches runs.
	destroying tenantBatches[*keyReq]
	finishing  tenantBatches[*finishReq]
}

// NewWipes returns the wipe store over db.
func NewWipes(db *sql.DB) *Wipes { return &Wipes{db: wrap(db)} }

// SessionForWipe reads what the wipe of a tenant's session needs: its state,
// its times, its receipt once there is one, and how many captures rows it
// still has. ErrNotFound if the tenant has no such session.
func (s *Wipes) SessionForWipe(ctx context.Context, tenantID, id uuid.UUID) (idv.WipeTarget, error) {
	var t idv.WipeTarget
	err := inTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) (err error) {
		t, err = readWipeTarget(ctx, tx, tenantID, id)
		return err
	})
	return t, err
}

// wipeTargetRow is a session's wipe state as readWipeTarget reads it.
type wipeTargetRow struct {
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

// wipeTargetSelect reads sessions s's wipe states as wipeTargetRow; the
// caller adds the WHERE clause.
const wipeTargetSelect = `SELECT s.session_id, s.tenant_id, s.status, s.decision, s.created_at,
		s.expires_at, s.wipe_reason, s.wipe_requested_at, s.key_destroyed_at, s.deleted_at,
		(SELECT r.receipt_id FROM deletion_receipts r WHERE r.session_id = s.session_id AND r.tenant_id = s.tenant_id) AS receipt_id,
		(SELECT count(*) FROM captures c WHERE c.session_id = s.session_id AND c.tenant_id = s.tenant_id) AS captures
	FROM sessions s `

// target is the row as the core's type.
func (row wipeTargetRow) target() idv.WipeTarget {
	return idv.WipeTarget{SessionID: row.SessionID, TenantID: row.TenantID, Status: row.Status,
		Decision: row.Decision.String, CreatedAt: row.CreatedAt, ExpiresAt: row.ExpiresAt,
		WipeReason: row.WipeReason.String, WipeRequestedAt: row.WipeRequestedAt, KeyDestroyedAt: row.KeyDestroyedAt,
		DeletedAt: row.DeletedAt, ReceiptID: row.ReceiptID.UUID, Captures: row.Captures}
}

// readWipeTarget reads a session's wipe state within tx. ErrNotFound if the
// tenant has no such session.
func readWipeTarget(ctx context.Context, tx *sqlx.Tx, tenantID, id uuid.UUID) (idv.WipeTarget, error) {
	var row wipeTargetRow
	err := tx.GetContext(ctx, &row, wipeTargetSelect+`WHERE s.session_id = $1 AND s.tenant_id = $2`, id, tenantID)
	if err != nil {
		return idv.WipeTarget{}, rowErr(err, "wipes: session %s", "wipes: read session %s", id)
	}
	return row.target(), nil
}

// DestroySessionKey is the wipe's first step, crypto-shredding: in one
// transaction it locks the session, reads its wipe state and, unless the
// session is deleted already, deletes its wrapped private key (its
// session_keys row) and records key_destroyed_at = at, unless already
// recorded. Once it commits, no capture of the session can be opened by
// anyone holding only the live database and vault. It returns the
// session's wipe state after that (the wipe needs no other read before
// FinishWipe) and whether this call deleted the key; false when an earlier
// call had. ErrNotFound if the tenant has no such session; ErrNotRequested,
// with nothing destroyed, if its wipe was not requested.
//
// Calls for one tenant share transactions, as FinishWipe's do: those that
// arrive while a batch of the tenant runs are run together by the next
// (wipekey.go), in a fixed number of statements; each call still returns
// only once the transaction that destroyed its key has committed.
func (s *Wipes) DestroySessionKey(ctx context.Context, tenantID, id uuid.UUID, at time.Time) (idv.WipeTarget, bool, error) {
	req := &keyReq{id: id, at: at}
	err := s.destroying.do(ctx, tenantID, req, func(ctx context.Context, batch []*keyReq) []error {
		return s.destroyBatch(ctx, tenantID, batch)
	})
	if err != nil {
		return idv.WipeTarget{}, false, err
	}
	return req.target, req.destroyed, nil
}

// FinishWipe is the wipe's last step, once the session's objects are
// deleted: in one transaction it deletes the session's captures rows (the
// only other rows that describe its personal data; check results hold codes
// and stay, as do webhook delivery records), turns the session row into the
// tombstone (status deleted, deleted_at = at), stores the signed receipt,
// appends ev (idv.session.deleted) to the outbox and a data_deleted audit
// entry to the tenant's log.
//
// A session already deleted is left as it is and FinishWipe returns
// ErrWipedBefore: the first receipt and event stand. ErrNotFound if the
// tenant has no such session; ErrConflict, with nothing written, if its wipe was not requested,
// its key is not destroyed yet (DestroySessionKey comes first), or it has
// another number of captures than r states.
//
// Calls for one tenant share transactions: every append to the tenant's
// audit chain holds its lock until the commit, so wipes of one tenant
// committing one by one queue on it. While a tenant's batch runs, the
// calls that arrive wait, and the first of them then runs them all in one
// transaction (wipefinish.go): the batch's sessions locked and checked in
// one statement (a wipe that would fail gets its error with nothing of it
// written; the others go on), the others' rows, tombstones, receipts and
// events written in one more, their entries appended to the chain in one
// go, then one commit. A wipe's rows, receipt, event and audit entry
// still commit together or not at all; only the commit is shared, so a
// failed commit (or a crash before it) fails every wipe of the batch, and
// each is retried.
func (s *Wipes) FinishWipe(ctx context.Context, tenantID, id uuid.UUID, at time.Time, r idv.Receipt, ev idv.Event) error {
	req := &finishReq{id: id, at: at, r: r, ev: ev, actor: idv.ActorOf(ctx, idv.ActorWipe)}
	return s.finishing.do(ctx, tenantID, req, func(ctx context.Context, batch []*finishReq) []error {
		return s.finishBatch(ctx, tenantID, batch)
	})
}

// finishReq is one FinishWipe call.
type finishReq struct {
	id    uuid.UUID
	at    time.Time
	r     idv.Receipt
	ev    idv.Event
	actor string
}

// finishBatch runs the wipes of batch in one transaction and returns each
// its outcome.
func (s *Wipes) finishBatch(ctx context.Context, tenantID uuid.UUID, batch []*finishReq) []error {
	outcome := make([]error, len(batch))
	err := inOutboxTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		entries, err := finishTogether(ctx, tx, tenantID, batch, outcome)
		if err != nil {
			return err
		}
		return appendAudits(ctx, tx, tenantID, entries)
	})
	return failAll(outcome, err)
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
