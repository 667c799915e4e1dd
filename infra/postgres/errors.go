package postgres

import "errors"

// Sentinel errors of the stores.
var (
	// ErrNotFound: no such row within the caller's tenant.
	ErrNotFound = errors.New("postgres: not found")
	// ErrConflict: the row is not in the state the change requires.
	ErrConflict = errors.New("postgres: state conflict")
)
