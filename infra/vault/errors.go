package vault

import "errors"

// Sentinel errors. Callers test for them with errors.Is; the returned errors
// wrap them with context.
var (
	// ErrOpen means sealed bytes did not authenticate: wrong key, wrong info
	// or purpose (a capture moved to another session or slot, a secret moved
	// to another tenant or purpose), or tampered or truncated bytes.
	ErrOpen = errors.New("sealed data does not authenticate")

	// ErrEpochDestroyed means the epoch key of an expiry hour is gone, so no
	// session key wrapped under it can be opened and no new one can be made.
	ErrEpochDestroyed = errors.New("epoch key destroyed")

	// ErrWrappedKey means a wrapped session key did not authenticate under
	// its epoch key: its tenant, session or epoch was changed, or its bytes.
	ErrWrappedKey = errors.New("wrapped session key does not authenticate")

	// ErrWrongMasterKey means an epoch key in the key store does not open
	// under the master key this vault was given: IDV_MASTER_KEY does not
	// belong to this key store, or the row was tampered with.
	ErrWrongMasterKey = errors.New("key store row does not open under this master key")

	// ErrInvalidMasterKey means an encoded master key is malformed.
	ErrInvalidMasterKey = errors.New("invalid master key")

	// ErrLaterEpoch means a rewrap asked to move a session key to a later
	// expiry hour; retention can only be shortened.
	ErrLaterEpoch = errors.New("new expiry is later than the current epoch")
)
