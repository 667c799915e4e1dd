package check

import (
	"context"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/capture"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// Submitted reads the ids of an idv.session.submitted event, the event
// every check stage starts from.
func Submitted(ev stage.Event) (tenantID, sessionID uuid.UUID, attempt int, err error) {
	got, err := idv.DecodeEvent[schemas.SessionSubmitted](schemas.TypeSessionSubmitted, ev.Type, ev.Subject, ev.Data)
	if err != nil {
		return uuid.Nil, uuid.Nil, 0, err
	}
	// Events written before attempts existed name none: the first.
	return got.TenantID, got.SessionID, max(got.Body.Attempt, 1), nil
}

// CaptureLister lists a session's declared captures, of every attempt.
type CaptureLister interface {
	Captures(ctx context.Context, tenantID, id uuid.UUID) ([]idv.Capture, error)
}

// Captures reads the captures of the attempt under check: sess.Attempt, as
// Begin returned it.
func Captures(ctx context.Context, sessions CaptureLister, sess idv.Session) ([]idv.Capture, error) {
	caps, err := sessions.Captures(ctx, sess.TenantID, sess.ID)
	if err != nil {
		return nil, err
	}
	return idv.CapturesOf(caps, sess.Attempt), nil
}

// KeyReader reads a session's wrapped key pair.
type KeyReader = capture.KeyReader

// SessionKey unwraps a session's private key. A key that is gone (the
// session wiped, its epoch destroyed) or altered cannot come back: that is
// stage.Permanent. A key store that does not answer is not.
func SessionKey(ctx context.Context, keys KeyReader, vaults capture.Unwrapper, sess idv.Session) (*seal.SessionKey, error) {
	key, err := capture.SessionKey(ctx, keys, vaults, sess.TenantID, sess.ID)
	return key, stage.PermanentIf(err, capture.ErrKeyGone, idv.ErrWrappedKey)
}
