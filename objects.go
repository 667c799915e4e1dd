package idv

import "time"

// The object store holds only sealed captures, under each session's prefix
// (docs/design.md invariant 2); these are the types its adapter
// (infra/objects) shares with the services.

// ObjectInfo is what the object store says of a stored object: its size
// and when it was stored, on the store's clock (S3's Last-Modified, to the
// second).
type ObjectInfo struct {
	Size   int64
	Stored time.Time
}

// PostPolicy is a pre-signed browser-style upload: POST a multipart/form-data
// body to URL with every entry of Fields as a form field, then the object as
// a field named "file", which must come last.
type PostPolicy struct {
	URL    string
	Fields map[string]string
	// Expires is when the policy stops working (millisecond precision, as
	// written in the policy).
	Expires time.Time
}
