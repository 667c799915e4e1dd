package archive

import "errors"

// ErrInvalid means an archive opened but its content is not a valid archive:
// a bad entry name or type, an entry missing from or not in the manifest, or
// one whose size or SHA-256 differs.
var ErrInvalid = errors.New("archive: invalid content")
