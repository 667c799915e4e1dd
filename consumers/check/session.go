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
func Submitted(ev stage.Event) (tenantID, sessionID uuid.UUID, err error) {
	return idv.SessionIDs(schemas.TypeSessionSubmitted, ev.Type, ev.Subject, ev.Data)
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
