package idv

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv/schemas"
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
	// Addenda are the receipt's signed addenda, oldest first: what the
	// tail sweep deleted after the receipt was signed.
	Addenda []Addendum
}

// Addendum is a signed deletion addendum (schemas.DeletionAddendum): the
// tail sweep deleted objects that landed under a session's prefix after its
// receipt was signed. The receipt's signed bytes never change; the addendum
// amends them.
type Addendum struct {
	ID        uuid.UUID
	ReceiptID uuid.UUID // the receipt it amends
	Statement []byte
	Signature []byte
	KeyID     string
	CreatedAt time.Time // set when read back
}

// ErrNotRequested: the session exists but nobody requested its wipe.
// Nothing is destroyed without that instruction, which RequestWipe writes in
// the same transaction as its event.
var ErrNotRequested = errors.New("no wipe requested for the session")

// ErrWipeRefused: the session's rows are not in a state a wipe can go on
// from (its key row refuses destruction, or the request or the key's
// destruction is not recorded); retrying does not change that.
var ErrWipeRefused = errors.New("wipe refused")

// WipeStore holds the wipe's store steps (postgres.Wipes).
type WipeStore interface {
	SessionForWipe(ctx context.Context, tenantID, id uuid.UUID) (WipeTarget, error)
	// DestroySessionKey deletes the session's wrapped key, unless the
	// session is deleted already, and commits that on its own; it returns
	// the session's wipe state after that, and false when an earlier
	// attempt had destroyed the key. ErrNotRequested when nobody asked.
	DestroySessionKey(ctx context.Context, tenantID, id uuid.UUID, at time.Time) (t WipeTarget, destroyed bool, err error)
	// FinishWipe deletes the session's rows, keeps its tombstone, stores the
	// receipt and appends ev, in one transaction; ErrWipedBefore when the
	// session was deleted already.
	FinishWipe(ctx context.Context, tenantID, id uuid.UUID, at time.Time, r Receipt, ev Event) error
	// RecordLateObjects stores the signed addendum of what the tail sweep
	// deleted under the prefix of a session wiped before and records it in
	// the tenant's audit log, in one transaction.
	RecordLateObjects(ctx context.Context, tenantID, id uuid.UUID, a Addendum, objects int, at time.Time) error
}

// PrefixDeleter deletes every object version, delete marker and unfinished
// upload under a prefix (objects.Store).
type PrefixDeleter interface {
	DeletePrefix(ctx context.Context, prefix string) (int, error)
}

// ReceiptSigner signs deletion receipts (vault.Vault).
type ReceiptSigner interface {
	SignReceipt(ctx context.Context, statement []byte) (sig []byte, keyID string, err error)
}

// Wiper destroys a session's personal data (docs/design.md invariant 3):
//
//  1. the session's wrapped private key, committed on its own
//     (crypto-shredding): from then on no capture of the session opens;
//  2. every object under the session's storage prefix;
//  3. in one transaction the session's captures rows, its row turned
//     tombstone, a signed deletion receipt and idv.session.deleted.
//
// Every step is idempotent and Wipe looks whether the wipe is done before
// doing anything, so a wipe repeated after a crash at any point completes
// with one receipt and one event.
type Wiper struct {
	Store   WipeStore
	Objects PrefixDeleter
	Signer  ReceiptSigner
	// StorageTimeout bounds one attempt at deleting the objects.
	StorageTimeout time.Duration
	Now            func() time.Time
}

// Wiped says what one Wipe found or did.
type Wiped struct {
	// Before is set when the session was wiped already (by an earlier
	// attempt or another worker); ReceiptID is then that wipe's.
	Before       bool
	KeyDestroyed bool // this attempt destroyed the key
	Objects      int  // objects this attempt deleted, also on failure
	// Late is how many objects a sweep of a session wiped before found and
	// deleted under its prefix (landed after its wipe).
	Late int
	// AddendumID is the addendum to the receipt signed for Late objects.
	AddendumID uuid.UUID
	ReceiptID  uuid.UUID
	Reason     string
	Captures   int
}

// Wipe wipes a session whose wipe was requested. ErrNotFound: no such
// session; ErrNotRequested: nobody asked; ErrWipeRefused: its rows refuse;
// any other error: try again later (the key is gone first, so nothing opens
// meanwhile).
func (w Wiper) Wipe(ctx context.Context, tenantID, sessionID uuid.UUID) (Wiped, error) {
	t, destroyed, err := w.Store.DestroySessionKey(ctx, tenantID, sessionID, w.clock())
	if errors.Is(err, ErrConflict) {
		return Wiped{}, fmt.Errorf("wipe: destroy key: %w: %w", ErrWipeRefused, err)
	}
	if err != nil {
		return Wiped{}, fmt.Errorf("wipe: destroy key: %w", err)
	}
	if t.DeletedAt != nil {
		return w.sweepTail(ctx, t)
	}
	out := Wiped{KeyDestroyed: destroyed}
	sctx, cancel := context.WithTimeout(ctx, w.StorageTimeout)
	out.Objects, err = w.Objects.DeletePrefix(sctx, schemas.SessionPrefix(tenantID.String(), sessionID.String()))
	cancel()
	if err != nil {
		return out, fmt.Errorf("wipe: session %s: delete objects (%d deleted so far): %w", sessionID, out.Objects, err)
	}
	at := w.clock()
	receipt, err := w.receipt(ctx, t, out.Objects, at)
	if err != nil {
		return out, err
	}
	err = w.Store.FinishWipe(ctx, tenantID, sessionID, at, receipt, DeletedEvent(t.TenantID, t.SessionID, receipt.ID, t.WipeReason, at))
	switch {
	case errors.Is(err, ErrWipedBefore):
		// Another worker finished meanwhile: its receipt stands.
		return w.wipedMeanwhile(ctx, out, tenantID, sessionID)
	case errors.Is(err, ErrConflict):
		// The captures changed under the receipt: the next attempt reads
		// them again, so this is no refusal.
		return out, fmt.Errorf("wipe: finish: captures changed: %v", err)
	case err != nil:
		return out, fmt.Errorf("wipe: finish: %w", err)
	}
	out.ReceiptID, out.Reason, out.Captures = receipt.ID, t.WipeReason, t.Captures
	return out, nil
}

// wipedMeanwhile reports a wipe another worker finished while this one
// deleted the objects, with that wipe's receipt.
func (w Wiper) wipedMeanwhile(ctx context.Context, out Wiped, tenantID, sessionID uuid.UUID) (Wiped, error) {
	t, err := w.Store.SessionForWipe(ctx, tenantID, sessionID)
	if err != nil {
		return out, fmt.Errorf("wipe: %w", err)
	}
	out.Before, out.ReceiptID = true, t.ReceiptID
	return out, nil
}

// sweepTail deletes what landed under the prefix of a session wiped before
// (an upload through a policy issued before the wipe request, a late copy)
// and, when it deleted anything, stores a signed addendum to the session's
// receipt and records it in the tenant's audit log: the wipe's tail sweep,
// asked for once the longest upload policy has expired, and a repeated
// delivery. Should storing the addendum fail after the delete, the objects
// are gone and the retry finds nothing to amend: the failure is returned
// (the stage retries; the metric counted the objects) and logged by it.
func (w Wiper) sweepTail(ctx context.Context, t WipeTarget) (Wiped, error) {
	out := Wiped{Before: true, ReceiptID: t.ReceiptID}
	sctx, cancel := context.WithTimeout(ctx, w.StorageTimeout)
	n, err := w.Objects.DeletePrefix(sctx, schemas.SessionPrefix(t.TenantID.String(), t.SessionID.String()))
	cancel()
	out.Late = n
	if err != nil {
		return out, fmt.Errorf("wipe: session %s wiped before: delete what landed since (%d deleted so far): %w", t.SessionID, n, err)
	}
	if n == 0 {
		return out, nil
	}
	at := w.clock()
	a, err := w.addendum(ctx, t, n, at)
	if err != nil {
		return out, err
	}
	if err := w.Store.RecordLateObjects(ctx, t.TenantID, t.SessionID, a, n, at); err != nil {
		return out, fmt.Errorf("wipe: %w", err)
	}
	out.AddendumID = a.ID
	return out, nil
}

// addendum builds and signs the addendum to t's receipt for objects deleted
// by the tail sweep at at.
func (w Wiper) addendum(ctx context.Context, t WipeTarget, objects int, at time.Time) (Addendum, error) {
	id := uuid.New()
	statement, err := schemas.DeletionAddendum{AddendumID: id.String(), Amends: t.ReceiptID.String(),
		SessionID: t.SessionID.String(), TenantID: t.TenantID.String(), ObjectsDeleted: objects, DeletedAt: at,
		Statement: schemas.AddendumStatement}.MarshalStatement()
	if err != nil {
		return Addendum{}, fmt.Errorf("wipe: session %s: %w: %w", t.SessionID, ErrWipeRefused, err)
	}
	sig, keyID, err := w.Signer.SignReceipt(ctx, statement)
	if err != nil {
		return Addendum{}, fmt.Errorf("wipe: session %s: sign the addendum: %w", t.SessionID, err)
	}
	return Addendum{ID: id, ReceiptID: t.ReceiptID, Statement: statement, Signature: sig, KeyID: keyID}, nil
}

// clock is now at the database's precision, so that the times in a receipt
// are exactly the times stored.
func (w Wiper) clock() time.Time { return w.Now().UTC().Truncate(time.Microsecond) }

// receipt builds and signs the deletion receipt of a session whose key and
// objects are gone and whose captures rows are about to go.
func (w Wiper) receipt(ctx context.Context, t WipeTarget, objects int, at time.Time) (Receipt, error) {
	if t.WipeRequestedAt == nil || t.KeyDestroyedAt == nil {
		return Receipt{}, fmt.Errorf("wipe: session %s: wipe request or key destruction not recorded: %w", t.SessionID, ErrWipeRefused)
	}
	id := uuid.New()
	r := schemas.DeletionReceipt{
		ReceiptID:       id.String(),
		SessionID:       t.SessionID.String(),
		TenantID:        t.TenantID.String(),
		Reason:          t.WipeReason,
		Decision:        t.Decision,
		CreatedAt:       t.CreatedAt,
		ExpiresAt:       t.ExpiresAt,
		WipeRequestedAt: *t.WipeRequestedAt,
		KeyDestroyedAt:  *t.KeyDestroyedAt,
		DeletedAt:       at,
		ObjectsDeleted:  objects,
		// Sessions are created with their key row, and key_destroyed_at is
		// set in the transaction that deleted it.
		RowsDeleted: map[string]int{schemas.ReceiptRowsSessionKeys: 1, schemas.ReceiptRowsCaptures: t.Captures},
		Statement:   schemas.DeletionStatement,
	}
	statement, err := r.MarshalStatement()
	if err != nil {
		return Receipt{}, fmt.Errorf("wipe: session %s: %w: %w", t.SessionID, ErrWipeRefused, err)
	}
	sig, keyID, err := w.Signer.SignReceipt(ctx, statement)
	if err != nil {
		return Receipt{}, fmt.Errorf("wipe: session %s: sign the receipt: %w", t.SessionID, err)
	}
	return Receipt{ID: id, Statement: statement, Signature: sig, KeyID: keyID, Captures: t.Captures}, nil
}
