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
	// ErrNotSupported means the store does not implement a request
	// (S3 error NotImplemented), e.g. lifecycle rules on versitygw.
	ErrNotSupported = errors.New("not supported by this store")
)
