package seal

import "errors"

// ErrOpen means sealed bytes did not authenticate; errors wrap it with context.
var (
	// ErrOpen means sealed bytes did not authenticate: wrong key, wrong info
	// or purpose (a capture moved to another session or slot, a secret moved
	// to another tenant or purpose), or tampered or truncated bytes.
	ErrOpen = errors.New("sealed data does not authenticate")
)
