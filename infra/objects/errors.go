package objects

import (
	"errors"

	"github.com/idv-oss/idv"
)

var (
	// ErrNotFound means the object does not exist.
	ErrNotFound = idv.ErrObjectNotFound
	// ErrTooLarge means the object is larger than the caller agreed to read.
	ErrTooLarge = idv.ErrObjectTooLarge
	// ErrNoBucket means the configured bucket does not exist.
	ErrNoBucket = errors.New("bucket does not exist")
)
