package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"sync"
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
	// finishing groups the FinishWipe calls of one tenant that arrive
	// while one of its batches runs (see FinishWipe).
	finishing finishGroup
}

// NewWipes returns the wipe store over db.
func NewWipes(db *sql.DB) *Wipes { return &Wipes{db: wrap(db)} }

// SessionForWipe reads what the wipe of a tenant's session needs: its state,
// its times, its receipt once there is one, and how many captures rows it
// still has. ErrNotFound if the tenant has no such session.
func (s *Wipes) SessionForWipe(ctx context.Context, tenantID, id uuid.UUID) (idv.WipeTarget, error) {
	var t idv.WipeTarget
	err := inTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) (err error) {
		t, err = readWipeTarget(ctx, tx, tenantID, id, "")
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

// readWipeTarget reads a session's wipe state within tx; lock is "" or a
// locking clause ("FOR UPDATE OF s"). ErrNotFound if the tenant has no such
// session.
func readWipeTarget(ctx context.Context, tx *sqlx.Tx, tenantID, id uuid.UUID, lock string) (idv.WipeTarget, error) {
	var row wipeTargetRow
	err := tx.GetContext(ctx, &row, `SELECT s.session_id, s.tenant_id, s.status, s.decision, s.created_at,
			s.expires_at, s.wipe_reason, s.wipe_requested_at, s.key_destroyed_at, s.deleted_at,
			(SELECT r.receipt_id FROM deletion_receipts r WHERE r.session_id = s.session_id AND r.tenant_id = s.tenant_id) AS receipt_id,
			(SELECT count(*) FROM captures c WHERE c.session_id = s.session_id AND c.tenant_id = s.tenant_id) AS captures
		FROM sessions s WHERE s.session_id = $1 AND s.tenant_id = $2 `+lock, id, tenantID)
	if err != nil {
		return idv.WipeTarget{}, rowErr(err, "wipes: session %s", "wipes: read session %s", id)
	}
	return idv.WipeTarget{SessionID: row.SessionID, TenantID: row.TenantID, Status: row.Status,
		Decision: row.Decision.String, CreatedAt: row.CreatedAt, ExpiresAt: row.ExpiresAt,
		WipeReason: row.WipeReason.String, WipeRequestedAt: row.WipeRequestedAt, KeyDestroyedAt: row.KeyDestroyedAt,
		DeletedAt: row.DeletedAt, ReceiptID: row.ReceiptID.UUID, Captures: row.Captures}, nil
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
func (s *Wipes) DestroySessionKey(ctx context.Context, tenantID, id uuid.UUID, at time.Time) (t idv.WipeTarget, destroyed bool, err error) {
	err = inTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		if t, err = readWipeTarget(ctx, tx, tenantID, id, "FOR UPDATE OF s"); err != nil {
			return err
		}
		if t.DeletedAt != nil {
			return nil
		}
		if t.WipeRequestedAt == nil {
			return fmt.Errorf("wipes: session %s: %w", id, idv.ErrNotRequested)
		}
		var row struct {
			KeyDestroyedAt time.Time `db:"key_destroyed_at"`
			Keys           int       `db:"keys"`
		}
		if err := tx.GetContext(ctx, &row, `WITH k AS (
				DELETE FROM session_keys WHERE session_id = $1 AND tenant_id = $2 RETURNING 1
			)
			UPDATE sessions SET key_destroyed_at = COALESCE(key_destroyed_at, $3)
			WHERE session_id = $1 AND tenant_id = $2
			RETURNING key_destroyed_at, (SELECT count(*) FROM k) AS keys`, id, tenantID, at); err != nil {
			return fmt.Errorf("wipes: destroy the key of %s: %w", id, err)
		}
		destroyed, t.KeyDestroyedAt = row.Keys > 0, &row.KeyDestroyedAt
		return nil
	})
	if err != nil {
		return idv.WipeTarget{}, false, err
	}
	return t, destroyed, nil
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
	req := &finishReq{id: id, at: at, r: r, ev: ev, actor: idv.ActorOf(ctx, idv.ActorWipe),
		done: make(chan error, 1), lead: make(chan struct{}, 1)}
	if s.finishing.join(tenantID, req) {
		req.lead <- struct{}{}
	}
	select {
	case err := <-req.done:
		return err
	case <-req.lead:
	}
	func() {
		// Handed over even if the batch panics (the consume loop recovers
		// and goes on), so the tenant's next wipes are not left waiting.
		defer s.finishing.handOver(tenantID)
		// The batch is the other callers' too: it does not end with this
		// caller's context, only with its own bound.
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
		defer cancel()
		s.finishBatch(bctx, tenantID, s.finishing.take(tenantID))
	}()
	return <-req.done
}

// Bounds of one FinishWipe batch: how many wipes it takes (the size of its
// array parameters and of its one audit INSERT) and how long it may take.
const (
	finishBatchMax = 32
	finishTimeout  = 30 * time.Second
)

// finishReq is one FinishWipe call waiting for its batch.
type finishReq struct {
	id    uuid.UUID
	at    time.Time
	r     idv.Receipt
	ev    idv.Event
	actor string
	done  chan error    // its outcome, once its batch ended
	lead  chan struct{} // its turn to run the next batch
}

// finishGroup holds, per tenant, the FinishWipe calls waiting for a batch
// and whether one runs.
type finishGroup struct {
	mu      sync.Mutex
	queued  map[uuid.UUID][]*finishReq
	running map[uuid.UUID]bool
}

// join queues req; true when no batch of the tenant runs, and req is to run
// the next one now.
func (g *finishGroup) join(tenantID uuid.UUID, req *finishReq) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.queued == nil {
		g.queued, g.running = map[uuid.UUID][]*finishReq{}, map[uuid.UUID]bool{}
	}
	g.queued[tenantID] = append(g.queued[tenantID], req)
	if g.running[tenantID] {
		return false
	}
	g.running[tenantID] = true
	return true
}

// take removes up to finishBatchMax queued calls of the tenant, oldest
// first: the batch the caller runs (its own call among them).
func (g *finishGroup) take(tenantID uuid.UUID) []*finishReq {
	g.mu.Lock()
	defer g.mu.Unlock()
	q := g.queued[tenantID]
	n := min(len(q), finishBatchMax)
	batch := q[:n:n]
	g.queued[tenantID] = q[n:]
	return batch
}

// handOver passes the tenant's next batch to the oldest call waiting, or
// notes that none runs.
func (g *finishGroup) handOver(tenantID uuid.UUID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if q := g.queued[tenantID]; len(q) > 0 {
		q[0].lead <- struct{}{}
		return
	}
	delete(g.queued, tenantID)
	delete(g.running, tenantID)
}

// finishBatch runs the wipes of batch in one transaction and sends each its
// outcome.
func (s *Wipes) finishBatch(ctx context.Context, tenantID uuid.UUID, batch []*finishReq) {
	outcome := make([]error, len(batch))
	sent := false
	defer func() {
		if !sent { // a panic: each caller still gets an answer
			for _, req := range batch {
				req.done <- fmt.Errorf("wipes: finish %s: the batch it was in panicked", req.id)
			}
		}
	}()
	err := inOutboxTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		entries, err := finishTogether(ctx, tx, tenantID, batch, outcome)
		if err != nil {
			return err
		}
		return appendAudits(ctx, tx, tenantID, entries)
	})
	for i, req := range batch {
		if err != nil && outcome[i] == nil {
			outcome[i] = err
		}
		req.done <- outcome[i]
	}
	sent = true
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
