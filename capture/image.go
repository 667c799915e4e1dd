// Package capture reads a capture — one sealed item of a session in its
// slot (kind, index), as the app uploaded it or a check stored it — back
// from storage into memory, proves it is exactly what was declared (size and
// SHA-256 of the sealed bytes), and opens it with the session key and its
// slot's HPKE info; an image then passes the decoding gate (imagegate).
// The check stages and the offboarding export read captures through it.
// Reason codes are the stable ones results carry.
package capture

import (
	"context"
	"image"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/imagegate"
	"github.com/idv-oss/idv/seal"
)

// OpenImage reads, opens and decodes one image capture: a capture larger
// than maxBytes (its slot's cap) is refused unread, and the plaintext is
// cleared once decoded. It returns the image, or a reason code when the
// capture gives none, or an error when a retry may help.
func OpenImage(ctx context.Context, store Getter, key *seal.SessionKey, c idv.Capture, maxBytes, maxPixels int64) (image.Image, string, error) {
	if c.Size > maxBytes {
		return nil, imagegate.ReasonImageTooLarge, nil
	}
	plain, reason, err := Open(ctx, store, key, c)
	if err != nil || reason != "" {
		return nil, reason, err
	}
	img, reason := imagegate.Decode(plain, maxPixels)
	clear(plain)
	return img, reason, nil
}
