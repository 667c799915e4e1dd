package capture

import (
	"context"
	"image"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/internal/shareonce"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// Shared decodes (issue 20: decoding the same captures again). In one
// process the document check and the face match read the same document
// front, the face match and the liveness check the same selfie frames,
// and each decoded them. A Decodes lets them share one decode (with
// internal/shareonce, as face/selfie.Analyses shares analyses): the first
// stage to want a capture decodes it, a stage that wants it meanwhile waits
// for that decode, and the image is forgotten once Readers stages have
// taken it, or Hold after it was decoded, whichever comes first — so a
// decoded image stays in memory no longer than the stages that read it,
// or Hold at most. The stages only read the images they are given.
//
// A reader may ask for the image in a Form (OpenImageAs): the face stages
// read selfie frames prepared for the engine, converted to RGBA, and
// through a Decodes that conversion too is made once, by the first reader.
//
// The key is the capture's object key, the SHA-256 of its sealed bytes,
// which Open checks before it decrypts, and the session, attempt, kind and
// index the decryption binds: a stage gets a shared image only for the
// very bytes it would have opened, opened as it would have. What Open or
// the decoder could not make into an image (a reason, an error) is not
// shared: each stage meets it itself.

// Decodes shares decoded captures between the stages of one process, as
// a shareonce.Cache of images that hands every reader the same image. The
// nil *Decodes shares nothing: OpenImage decodes every call.
type Decodes struct {
	images *shareonce.Cache[ImageKey, image.Image]
}

// DecodesConfig tunes a Decodes. The zero value is the default.
type DecodesConfig struct {
	Readers  int           // stages that read the same capture; 2 when 0
	Hold     time.Duration // longest an image is kept; 10 s when 0
	MaxBytes int64         // pixels' bytes kept at most; 64 MiB when 0
}

// For is d when another stage of this process will read the capture too,
// and nil when none will: a shared image is kept until its last reader
// comes or Hold has passed, so a capture that one stage alone reads is
// decoded without sharing, and nothing of it is kept.
func (d *Decodes) For(another bool) *Decodes {
	if !another {
		return nil
	}
	return d
}

// NewDecodes returns an empty Decodes.
func NewDecodes(cfg DecodesConfig) *Decodes {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 64 << 20
	}
	return &Decodes{images: shareonce.New[ImageKey](shareonce.Config[image.Image]{
		Readers: cfg.Readers, Hold: cfg.Hold, Budget: cfg.MaxBytes, Cost: pixelBytes,
		Share: func(img image.Image) (image.Image, bool) { return img, img != nil },
	})}
}

// ImageKey names a capture's image as OpenImage reads it: its object, the
// SHA-256 of its sealed bytes, the session, attempt, kind and index its
// opening binds (the HPKE info), and the decoder's pixel limit. What is
// shared under one ImageKey comes from the very bytes a reader would have
// opened, opened and decoded as it would have.
type ImageKey struct {
	object    string
	sha256    string
	session   uuid.UUID
	attempt   int
	kind      schemas.CaptureKind
	index     int
	maxPixels int64
	form      string // Form.Name; "" as decoded
}

// Form is a conversion the readers of a capture apply to its image before
// anything else (face.Prepare, converting to RGBA, for the face stages'
// selfie frames): through a Decodes it is applied once, to the shared
// image, rather than by each reader. Its Name tells conversions apart, so
// that readers of different forms, or of the image as decoded, never
// share; Convert returns its input's pixels unchanged in another layout,
// and leaves its input alone.
type Form struct {
	Name    string
	Convert func(image.Image) image.Image
}

// ImageKeyOf is the ImageKey of capture c decoded with the pixel limit
// maxPixels.
func ImageKeyOf(c idv.Capture, maxPixels int64) ImageKey {
	return ImageKey{object: c.ObjectKey, sha256: string(c.SHA256), session: c.SessionID, attempt: c.Attempt,
		kind: c.Kind, index: c.Index, maxPixels: maxPixels}
}

// OpenImage is the package's OpenImage through d: an image another stage
// decoded from the same sealed bytes, or one decoded now and kept for the
// others.
func (d *Decodes) OpenImage(ctx context.Context, store Getter, key *seal.SessionKey, c idv.Capture, maxBytes, maxPixels int64) (image.Image, string, error) {
	return d.OpenImageAs(ctx, store, key, c, maxBytes, maxPixels, Form{})
}

// OpenImageAs is OpenImage with the image converted to form: one another
// stage converted from the same decode, or one decoded and converted now
// and kept for the others.
func (d *Decodes) OpenImageAs(ctx context.Context, store Getter, key *seal.SessionKey, c idv.Capture, maxBytes, maxPixels int64,
	form Form) (image.Image, string, error) {
	open := func() (image.Image, string, error) {
		img, reason, err := OpenImage(ctx, store, key, c, maxBytes, maxPixels)
		if img != nil && form.Convert != nil {
			img = form.Convert(img)
		}
		return img, reason, err
	}
	if d == nil || c.Size > maxBytes {
		return open()
	}
	k := ImageKeyOf(c, maxPixels)
	k.form = form.Name
	var reason string // a reason of this reader's own decode
	img, err := d.images.Do(ctx, k, func() (image.Image, error) {
		img, why, err := open()
		reason = why
		return img, err
	})
	return img, reason, err
}

// pixelBytes bounds what img's pixels take: 4 bytes a pixel (RGBA; the
// YCbCr 4:2:0 a JPEG decodes to takes 1.5).
func pixelBytes(img image.Image) int64 {
	if img == nil {
		return 0
	}
	b := img.Bounds()
	return int64(b.Dx()) * int64(b.Dy()) * 4
}

// Held is how many decoded images d keeps now, waiting for their other
// readers.
func (d *Decodes) Held() int { return d.images.Kept() }
