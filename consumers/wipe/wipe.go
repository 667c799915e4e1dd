// Package wipe is the stage that destroys a session's personal data (docs/design.md
// invariant 3): on idv.session.expired — the retention deadline passed, the
// customer asked for erasure, or the person declined — it runs the core's
// idv.Wiper (key first, then objects, then rows, receipt and
// idv.session.deleted in one transaction), counts what it destroyed, and
// maps the outcome to the consume loop: a malformed event, a session that
// does not exist, one whose wipe nobody requested, or rows that refuse are
// terminated; anything else (a storage outage) is retried with backoff —
// the key is already gone, so nothing can be opened meanwhile. The epoch key
// that wrapped the session key is destroyed later, by the retention sweep,
// once every session of its expiry hour is wiped.
//
// The stage never opens a capture and logs ids and counts only.
package wipe

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/schemas"
)

// DefaultStorageTimeout bounds one attempt at deleting a session's objects.
// A session has a few dozen objects at most; the bound is there so that a
// hung store fails the attempt (to be retried) rather than the worker.
const DefaultStorageTimeout = 2 * time.Minute

// Deps are the stage's parts.
type Deps struct {
	Sessions idv.WipeStore
	Objects  idv.PrefixDeleter
	Signer   idv.ReceiptSigner
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
	wiper   idv.Wiper
	metrics *Metrics
	log     *slog.Logger
}

// New returns the stage over its parts.
func New(deps Deps, cfg Config) *Stage {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	deps.Log = cmp.Or(deps.Log, slog.New(slog.DiscardHandler))
	deps.Metrics = cmp.Or(deps.Metrics, NewMetrics(nil))
	if cfg.StorageTimeout <= 0 {
		cfg.StorageTimeout = DefaultStorageTimeout
	}
	return &Stage{wiper: idv.Wiper{Store: deps.Sessions, Objects: deps.Objects, Signer: deps.Signer,
		StorageTimeout: cfg.StorageTimeout, Now: deps.Now}, metrics: deps.Metrics, log: deps.Log}
}

// Handle wipes the event's session, or finds it wiped already. nil: the
// session is deleted (now or before); Permanent: the event is malformed,
// the session does not exist, or no wipe of it was requested (nothing is
// destroyed then); any other error: try again later.
func (s *Stage) Handle(ctx context.Context, ev stage.Event) error {
	tenantID, sessionID, err := idv.SessionIDs(schemas.TypeSessionExpired, ev.Type, ev.Subject, ev.Data)
	if err != nil {
		return stage.Permanent(err)
	}
	log := s.log.With("tenant_id", tenantID, "session_id", sessionID)
	w, err := s.wiper.Wipe(ctx, tenantID, sessionID)
	if w.KeyDestroyed {
		s.metrics.keysDestroyed.Inc()
		log.InfoContext(ctx, "session key destroyed")
	}
	s.metrics.objectsDeleted.Add(float64(w.Objects))
	s.metrics.lateObjectsDeleted.Add(float64(w.Late))
	if w.Late > 0 {
		log.WarnContext(ctx, "objects landed after the wipe deleted", "receipt_id", w.ReceiptID, "objects", w.Late)
	}
	if err != nil {
		return stage.PermanentIf(err, idv.ErrNotFound, idv.ErrNotRequested, idv.ErrWipeRefused)
	}
	if w.Before {
		log.DebugContext(ctx, "session already wiped", "receipt_id", w.ReceiptID)
		return nil
	}
	log.InfoContext(ctx, "session wiped", "receipt_id", w.ReceiptID, "reason", w.Reason,
		"objects_deleted", w.Objects, "captures_deleted", w.Captures)
	return nil
}

// Spec describes the stage to the broker and the consume loop, beside
// its handler.
var Spec = idv.Stage{
	Name:     "wipe",
	Consumes: []string{schemas.TypeSessionExpired},
	// The key is destroyed on the first attempt, before storage is
	// touched, so nothing can be opened while the retries run. A wipe that
	// exhausts its deliveries leaves its session overdue (wipe requested,
	// not deleted), which the overdue gauge shows.
	Retry: idv.RetryThroughOutage(),
	// The stage mostly waits on PostgreSQL and the object store.
	Concurrency: 16,
	// High for the same reason as notify's: during an outage every pending
	// wipe waits out a delay, and new ones should still get their first
	// attempt.
	MaxAckPending: 4096,
}
