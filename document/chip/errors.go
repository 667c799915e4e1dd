package chip

import "errors"

// Sentinel errors the parsers wrap; callers test with errors.Is.
var (
	// ErrMalformed: the input is not the DER or BER-TLV structure expected.
	ErrMalformed = errors.New("malformed")
	// ErrTooLarge: the input exceeds a size cap.
	ErrTooLarge = errors.New("too large")
	// ErrUnsupported: an algorithm, curve or key type this package does not
	// verify.
	ErrUnsupported = errors.New("unsupported algorithm")
	// ErrSignature: a signature does not verify.
	ErrSignature = errors.New("signature invalid")
	// ErrPortraitUnsupported: the DG2 portrait is in a format the package
	// does not return (JPEG 2000).
	ErrPortraitUnsupported = errors.New("portrait format unsupported")
	// ErrNotFound: a required element (a data group, a certificate) is absent.
	ErrNotFound = errors.New("not found")
)
