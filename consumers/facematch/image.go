package facematch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"

	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/schemas"
)

// This file duplicates, in minimal form, consumers/doccheck's capture.go
// (openCapture) and image.go (decodeImage): consumers do not import each
// other. Both belong lower down (infra/vault or a shared consumers helper)
// once a third stage, liveness, needs them too.

// DefaultMaxPixels is the largest image the stage decodes: 40 megapixels,
// as the document check, and a bound on what a decode may allocate.
const DefaultMaxPixels = 40_000_000

// decoders are the only image formats the stage accepts, by name, so a
// format some other package registers is refused, not decoded.
var decoders = map[string]func([]byte) (image.Image, error){
	"jpeg": func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) },
	"png":  func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) },
}

// decodeImage reads the header alone first and refuses an image over
// maxPixels before any pixel buffer exists (FACTS: a 926 KiB PNG declaring
// 30000×30000 needs ≥ 858 MiB to decode). It returns the image or the
// reason it was refused.
func decodeImage(data []byte, maxPixels int64) (image.Image, string) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if errors.Is(err, image.ErrFormat) {
		return nil, ReasonNotAnImage
	}
	decode, ok := decoders[format]
	if err == nil && !ok {
		return nil, ReasonNotAnImage
	}
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, ReasonImageCorrupt
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, ReasonImageTooLarge
	}
	img, err := decode(data)
	if err != nil {
		return nil, ReasonImageCorrupt
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, ReasonImageCorrupt
	}
	return img, ""
}

// openCapture reads a declared capture into memory (never more than its
// declared size), checks its size and the SHA-256 of the sealed bytes, and
// opens it with the session key and the slot's HPKE info. It returns the
// plaintext, which the caller keeps in memory only and clears when done; or
// ReasonCaptureTampered; or an error when storage cannot be read now.
func openCapture(ctx context.Context, store Objects, key *vault.SessionKey, c postgres.Capture) (plain []byte, reason string, err error) {
	ref := schemas.CaptureRef(c.Kind, c.Index)
	sealed, err := store.Get(ctx, c.ObjectKey, c.Size)
	switch {
	case errors.Is(err, objects.ErrNotFound), errors.Is(err, objects.ErrTooLarge):
		return nil, ReasonCaptureTampered, nil
	case err != nil:
		return nil, "", fmt.Errorf("facematch: read capture %s: %w", ref, err)
	}
	sum := sha256.Sum256(sealed)
	if int64(len(sealed)) != c.Size || !bytes.Equal(sum[:], c.SHA256) {
		return nil, ReasonCaptureTampered, nil
	}
	plain, err = vault.Open(key, vault.CaptureInfo(c.SessionID, string(c.Kind), c.Index), sealed)
	if errors.Is(err, vault.ErrOpen) {
		return nil, ReasonCaptureTampered, nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("facematch: open capture %s: %w", ref, err)
	}
	return plain, "", nil
}
