// Package wipe is the stage that destroys a session's personal data (docs/design.md
// invariant 3): on idv.session.expired — the retention deadline passed, the
// customer asked for erasure, or the person declined — it
//
//  1. destroys the session's wrapped private key and commits that on its own
//     (crypto-shredding): from then on no capture of the session opens with
//     the live database and vault, whatever happens next;
//  2. deletes every object version, delete marker and unfinished upload
//     under the session's storage prefix;
//  3. in one transaction deletes the session's captures rows, turns the
//     session row into a tombstone (status deleted), stores a deletion
//     receipt signed by the vault, and appends idv.session.deleted, which
//     notify turns into a session.deleted webhook pointing at the receipt.
//
// Every step is idempotent and the stage checks whether the wipe is done
// before doing anything, so a message redelivered after a crash at any point
// completes the wipe with one receipt and one event. A storage failure is
// returned as it is, so the consume loop retries with backoff (the wipe
// consumer's deliveries outlast an hour-long outage); the key is already
// gone, so nothing can be opened meanwhile. The epoch key that wrapped the
// session key is destroyed later, by the retention sweep, once every session
// of its expiry hour is wiped: that is what makes earlier copies (backups)
// of the wrapped key useless.
//
// The stage never opens a capture and logs ids and counts only.
package wipe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/schemas"
)

// DefaultStorageTimeout bounds one attempt at deleting a session's objects.
// A session has a few dozen objects at most; the bound is there so that a
// hung store fails the attempt (to be retried) rather than the worker.
const DefaultStorageTimeout = 2 * time.Minute

// Sessions holds the wipe's store steps (postgres.Wipes).
type Sessions interface {
	SessionForWipe(ctx context.Context, tenantID, id uuid.UUID) (idv.WipeTarget, error)
	DestroySessionKey(ctx context.Context, tenantID, id uuid.UUID, at time.Time) (destroyed bool, err error)
	FinishWipe(ctx context.Context, tenantID, id uuid.UUID, at time.Time, r idv.Receipt, ev idv.Event) error
}

// Objects deletes everything under a prefix (objects.Store).
type Objects interface {
	DeletePrefix(ctx context.Context, prefix string) (int, error)
}

// Signer signs deletion receipts (vault.Vault).
type Signer interface {
	SignReceipt(statement []byte) (sig []byte, keyID string)
}

// Deps are the stage's parts.
type Deps struct {
	Sessions Sessions
	Objects  Objects
	Signer   Signer
	Metrics  *Metrics         // nil: counted but not exported
	Now      func() time.Time // time.Now when nil
	Log      *slog.Logger     // discarded when nil
}

// Config tunes the stage.
type Config struct {
	// StorageTimeout bounds one attempt at deleting the session's objects;
	// DefaultStorageTimeout when 0.
	StorageTimeout time.Duration
}

// Stage is the wipe stage. It is safe for concurrent use.
type Stage struct {
	sessions Sessions
	objects  Objects
	signer   Signer
	metrics  *Metrics
	now      func() time.Time
	log      *slog.Logger
	cfg      Config
}

// New returns the stage over its parts.
func New(deps Deps, cfg Config) *Stage {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	if deps.Metrics == nil {
		deps.Metrics = NewMetrics(nil)
	}
	if cfg.StorageTimeout <= 0 {
		cfg.StorageTimeout = DefaultStorageTimeout
	}
	return &Stage{sessions: deps.Sessions, objects: deps.Objects, signer: deps.Signer, metrics: deps.Metrics,
		now: deps.Now, log: deps.Log, cfg: cfg}
}

// Handle wipes the event's session, or finds it wiped already. nil: the
// session is deleted (now or before); Permanent: the event is malformed,
// the session does not exist, or no wipe of it was requested (nothing is
// destroyed then); any other error: try again later.
func (s *Stage) Handle(ctx context.Context, ev stage.Event) error {
	tenantID, sessionID, err := decodeExpired(ev)
	if err != nil {
		return stage.Permanent(err)
	}
	log := s.log.With("tenant_id", tenantID, "session_id", sessionID)

	target, err := s.target(ctx, tenantID, sessionID)
	if err != nil {
		return err
	}
	if target.DeletedAt != nil {
		log.DebugContext(ctx, "session already wiped", "receipt_id", target.ReceiptID)
		return nil
	}
	if target.WipeRequestedAt == nil {
		return stage.Permanent(fmt.Errorf("wipe: session %s: %w", sessionID, ErrNotRequested))
	}

	// 1. Crypto-shredding, committed before anything else is touched.
	destroyed, err := s.sessions.DestroySessionKey(ctx, tenantID, sessionID, s.clock())
	if errors.Is(err, idv.ErrNotFound) || errors.Is(err, idv.ErrConflict) {
		return stage.Permanent(fmt.Errorf("wipe: destroy key: %w", err))
	}
	if err != nil {
		return fmt.Errorf("wipe: destroy key: %w", err)
	}
	if destroyed {
		s.metrics.keysDestroyed.Inc()
		log.InfoContext(ctx, "session key destroyed")
	}

	// 2. Objects: every version, delete marker and unfinished upload.
	sctx, cancel := context.WithTimeout(ctx, s.cfg.StorageTimeout)
	objects, err := s.objects.DeletePrefix(sctx, schemas.SessionPrefix(tenantID.String(), sessionID.String()))
	cancel()
	s.metrics.objectsDeleted.Add(float64(objects))
	if err != nil {
		// Retried with backoff by the consume loop; the key is gone, so
		// what remains in storage cannot be opened meanwhile.
		return fmt.Errorf("wipe: session %s: delete objects (%d deleted so far): %w", sessionID, objects, err)
	}

	// 3. Rows, tombstone, signed receipt and event, in one transaction.
	// Read again: key_destroyed_at may be an earlier attempt's, and another
	// worker may have finished meanwhile.
	if target, err = s.target(ctx, tenantID, sessionID); err != nil {
		return err
	}
	if target.DeletedAt != nil {
		log.DebugContext(ctx, "session wiped by another worker", "receipt_id", target.ReceiptID)
		return nil
	}
	at := s.clock()
	receipt, err := s.receipt(target, objects, at)
	if err != nil {
		return stage.Permanent(err)
	}
	err = s.sessions.FinishWipe(ctx, tenantID, sessionID, at, receipt, idv.DeletedEvent(target.TenantID, target.SessionID, receipt.ID, target.WipeReason, at))
	if errors.Is(err, idv.ErrNotFound) {
		return stage.Permanent(fmt.Errorf("wipe: finish: %w", err))
	}
	if err != nil {
		// ErrConflict included: the captures changed under the receipt,
		// and the next attempt reads them again.
		return fmt.Errorf("wipe: finish: %w", err)
	}
	log.InfoContext(ctx, "session wiped", "receipt_id", receipt.ID, "reason", target.WipeReason,
		"objects_deleted", objects, "captures_deleted", target.Captures)
	return nil
}

// clock is the stage's now at the database's precision, so that the times
// in a receipt are exactly the times stored.
func (s *Stage) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// target reads the session; a session that does not exist is Permanent.
func (s *Stage) target(ctx context.Context, tenantID, sessionID uuid.UUID) (idv.WipeTarget, error) {
	t, err := s.sessions.SessionForWipe(ctx, tenantID, sessionID)
	if errors.Is(err, idv.ErrNotFound) {
		return t, stage.Permanent(fmt.Errorf("wipe: %w", err))
	}
	if err != nil {
		return t, fmt.Errorf("wipe: %w", err)
	}
	return t, nil
}

// receipt builds and signs the deletion receipt of a session whose key and
// objects are gone and whose captures rows are about to go.
func (s *Stage) receipt(t idv.WipeTarget, objects int, at time.Time) (idv.Receipt, error) {
	if t.WipeRequestedAt == nil || t.KeyDestroyedAt == nil {
		return idv.Receipt{}, fmt.Errorf("wipe: session %s: wipe request or key destruction not recorded", t.SessionID)
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
		return idv.Receipt{}, fmt.Errorf("wipe: session %s: %w", t.SessionID, err)
	}
	sig, keyID := s.signer.SignReceipt(statement)
	return idv.Receipt{ID: id, Statement: statement, Signature: sig, KeyID: keyID, Captures: t.Captures}, nil
}

// decodeExpired reads the ids of an idv.session.expired event.
func decodeExpired(ev stage.Event) (tenantID, sessionID uuid.UUID, err error) {
	return idv.SessionIDs(schemas.TypeSessionExpired, ev.Subject, ev.Data)
}
