package objects

import "errors"

var (
	// ErrNotFound means the object does not exist.
	ErrNotFound = errors.New("object not found")
	// ErrTooLarge means the object is larger than the caller agreed to read.
	ErrTooLarge = errors.New("object too large")
	// ErrNoBucket means the configured bucket does not exist.
	ErrNoBucket = errors.New("bucket does not exist")
)
