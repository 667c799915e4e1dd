package capture

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// Reason codes of captures that cannot be used.
const (
	// ReasonCaptureTampered: the stored capture is not what the app sealed
	// and declared (missing, another size, another SHA-256, or it does not
	// open with the session key and its slot's info).
	ReasonCaptureTampered = "capture_tampered"
)

// Getter reads stored objects, never more than maxSize bytes.
type Getter interface {
	Get(ctx context.Context, key string, maxSize int64) ([]byte, error)
}

// Open reads a declared capture from storage into memory, checks it
// is exactly what the app declared (size and SHA-256 of the sealed bytes),
// and opens it with the session key and the HPKE info of its attempt and
// slot. It returns the
// plaintext, which the caller must keep in memory only and clear when done,
// or a reason code when the capture is not what was declared, or an error
// when storage cannot be read now (retry later).
//
// At most the declared size is read, which the API kept within the slot's
// cap: an object larger than declared is refused before its body is read.
func Open(ctx context.Context, store Getter, key *seal.SessionKey, c idv.Capture) (plain []byte, reason string, err error) {
	ref := schemas.CaptureRef(c.Kind, c.Index)
	sealed, err := store.Get(ctx, c.ObjectKey, c.Size)
	switch {
	case errors.Is(err, idv.ErrObjectNotFound), errors.Is(err, idv.ErrObjectTooLarge):
		// Submission checked it was there with its declared size: it has
		// been removed or replaced since.
		return nil, ReasonCaptureTampered, nil
	case err != nil:
		return nil, "", fmt.Errorf("capture: read %s: %w", ref, err)
	}
	sum := sha256.Sum256(sealed)
	if int64(len(sealed)) != c.Size || !bytes.Equal(sum[:], c.SHA256) {
		return nil, ReasonCaptureTampered, nil
	}
	attempt := max(c.Attempt, 1) // a capture that names none is the first attempt's
	plain, err = seal.Open(key, seal.CaptureInfo(c.SessionID, attempt, string(c.Kind), c.Index), sealed)
	if errors.Is(err, seal.ErrOpen) && attempt == 1 {
		// An app of the first contract seals without the attempt: accepted
		// for the first attempt only, where no other attempt's capture can
		// stand in for it.
		plain, err = seal.Open(key, seal.CaptureInfoV1(c.SessionID, string(c.Kind), c.Index), sealed)
	}
	if errors.Is(err, seal.ErrOpen) {
		// The declaration was changed with it, or the capture was sealed
		// for another session or slot.
		return nil, ReasonCaptureTampered, nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("capture: open %s: %w", ref, err)
	}
	return plain, "", nil
}

// Unwrapper opens wrapped session keys (the vault).
type Unwrapper interface {
	Unwrap(ctx context.Context, k idv.WrappedKey) (*seal.SessionKey, error)
}
