package capture

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/schemas"
)

// Submitted reads the ids of an idv.session.submitted event, the event
// every check stage starts from.
func Submitted(ev stage.Event) (tenantID, sessionID uuid.UUID, err error) {
	return idv.SessionIDs(schemas.TypeSessionSubmitted, ev.Subject, ev.Data)
}

// KeyReader reads a session's wrapped key pair.
type KeyReader interface {
	Key(ctx context.Context, tenantID, id uuid.UUID) (idv.SessionKey, error)
}

// Unwrapper opens wrapped session keys (the vault).
type Unwrapper interface {
	Unwrap(ctx context.Context, k vault.WrappedKey) (*vault.SessionKey, error)
}

// SessionKey unwraps a session's private key. A key that is gone (the
// session wiped, its epoch destroyed) or altered cannot come back: that is
// stage.Permanent. A key store that does not answer is not.
func SessionKey(ctx context.Context, keys KeyReader, vaults Unwrapper, sess idv.Session) (*vault.SessionKey, error) {
	k, err := keys.Key(ctx, sess.TenantID, sess.ID)
	if err != nil {
		return nil, stage.PermanentIf(err, idv.ErrNotFound)
	}
	key, err := vaults.Unwrap(ctx, vault.WrappedKey{TenantID: k.TenantID, SessionID: k.SessionID,
		Epoch: k.Epoch, PublicKey: k.PublicKey, Wrapped: k.WrappedKey})
	if err != nil {
		err = fmt.Errorf("session %s: %w", sess.ID, err)
		return nil, stage.PermanentIf(err, vault.ErrEpochDestroyed, vault.ErrWrappedKey)
	}
	return key, nil
}
