package capture

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/schemas"
)

// Submitted reads the ids of an idv.session.submitted event, the event
// every check stage starts from.
func Submitted(ev stage.Event) (tenantID, sessionID uuid.UUID, err error) {
	if ev.Type != "" && ev.Type != schemas.TypeSessionSubmitted {
		return uuid.Nil, uuid.Nil, fmt.Errorf("event type %q, want %s", ev.Type, schemas.TypeSessionSubmitted)
	}
	var body schemas.SessionSubmitted
	if err := json.Unmarshal(ev.Data, &body); err != nil {
		return uuid.Nil, uuid.Nil, fmt.Errorf("decode %s: %w", schemas.TypeSessionSubmitted, err)
	}
	if sessionID, err = uuid.Parse(body.SessionID); err != nil {
		return uuid.Nil, uuid.Nil, fmt.Errorf("%s: session_id: %w", schemas.TypeSessionSubmitted, err)
	}
	if tenantID, err = uuid.Parse(body.TenantID); err != nil {
		return uuid.Nil, uuid.Nil, fmt.Errorf("%s: tenant_id: %w", schemas.TypeSessionSubmitted, err)
	}
	return tenantID, sessionID, nil
}

// KeyReader reads a session's wrapped key pair.
type KeyReader interface {
	Key(ctx context.Context, tenantID, id uuid.UUID) (postgres.SessionKey, error)
}

// Unwrapper opens wrapped session keys (the vault).
type Unwrapper interface {
	Unwrap(ctx context.Context, k vault.WrappedKey) (*vault.SessionKey, error)
}

// SessionKey unwraps a session's private key. A key that is gone (the
// session wiped, its epoch destroyed) or altered cannot come back: that is
// stage.Permanent. A key store that does not answer is not.
func SessionKey(ctx context.Context, keys KeyReader, vaults Unwrapper, sess postgres.Session) (*vault.SessionKey, error) {
	k, err := keys.Key(ctx, sess.TenantID, sess.ID)
	if err != nil {
		return nil, stage.PermanentIf(err, postgres.ErrNotFound)
	}
	key, err := vaults.Unwrap(ctx, vault.WrappedKey{TenantID: k.TenantID, SessionID: k.SessionID,
		Epoch: k.Epoch, PublicKey: k.PublicKey, Wrapped: k.WrappedKey})
	if err != nil {
		err = fmt.Errorf("session %s: %w", sess.ID, err)
		return nil, stage.PermanentIf(err, vault.ErrEpochDestroyed, vault.ErrWrappedKey)
	}
	return key, nil
}
