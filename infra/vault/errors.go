package vault

import (
	"errors"

	"github.com/idv-oss/idv"
)

// Sentinel errors. Callers test for them with errors.Is; the returned errors
// wrap them with context.
var (
	// ErrEpochDestroyed is the core's: the epoch key of an expiry hour is gone.
	ErrEpochDestroyed = idv.ErrEpochDestroyed

	// ErrWrappedKey is the core's: a wrapped session key did not authenticate.
	ErrWrappedKey = idv.ErrWrappedKey

	// ErrWrongMasterKey means an epoch key in the key store does not open
	// under the master key this vault was given: IDV_MASTER_KEY does not
	// belong to this key store, or the row was tampered with.
	ErrWrongMasterKey = errors.New("key store row does not open under this master key")

	// ErrInvalidMasterKey means an encoded master key is malformed.
	ErrInvalidMasterKey = errors.New("invalid master key")

	// ErrKeyBytesHeld means destroyed epoch keys' bytes are still in the
	// key store's pages because a transaction or snapshot older than their
	// destruction is still open; PurgeDestroyed names it, and a later call
	// purges them once it ends.
	ErrKeyBytesHeld = errors.New("destroyed key bytes are held by an older transaction")

	// ErrLaterEpoch means a rewrap asked to move a session key to a later
	// expiry hour; retention can only be shortened.
	ErrLaterEpoch = errors.New("new expiry is later than the current epoch")
)
