package capture

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/seal"
)

// ErrKeyGone: the session's key no longer exists — its wipe destroyed the
// wrapped key (idv.ErrNotFound) or the epoch key under it is destroyed
// (idv.ErrEpochDestroyed). Nothing sealed for the session can be opened
// again; the error wraps the cause as well.
var ErrKeyGone = errors.New("session key gone")

// KeyReader reads a session's wrapped key pair (the session store).
type KeyReader interface {
	Key(ctx context.Context, tenantID, id uuid.UUID) (idv.WrappedKey, error)
}

// SessionKey reads a session's wrapped key and unwraps it: what every part
// that opens captures or sealed fields does first. A key that is gone is
// ErrKeyGone.
func SessionKey(ctx context.Context, keys KeyReader, vault Unwrapper, tenantID, sessionID uuid.UUID) (*seal.SessionKey, error) {
	k, err := keys.Key(ctx, tenantID, sessionID)
	if err != nil {
		return nil, keyErr(sessionID, err)
	}
	key, err := vault.Unwrap(ctx, k)
	if err != nil {
		return nil, keyErr(sessionID, err)
	}
	return key, nil
}

// keyErr wraps err, a failure to read or unwrap the key of session id,
// with ErrKeyGone when it says the key is gone.
func keyErr(id uuid.UUID, err error) error {
	if errors.Is(err, idv.ErrNotFound) || errors.Is(err, idv.ErrEpochDestroyed) {
		return fmt.Errorf("capture: key of session %s: %w: %w", id, ErrKeyGone, err)
	}
	return fmt.Errorf("capture: key of session %s: %w", id, err)
}
