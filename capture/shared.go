package capture

import (
	"context"
	"image"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// Shared decodes (issue 20: decoding the same captures again). In one
// process the document check and the face match read the same document
// front, the face match and the liveness check the same selfie frames,
// and each decoded them. A Decodes lets them share one decode: the first
// stage to want a capture decodes it, a stage that wants it meanwhile waits
// for that decode, and the image is forgotten once Readers stages have
// taken it, or Hold after it was decoded, whichever comes first — so a
// decoded image stays in memory no longer than the stages that read it,
// or Hold at most. The stages only read the images they are given.
//
// The key is the capture's object key, the SHA-256 of its sealed bytes,
// which Open checks before it decrypts, and the session, attempt, kind and
// index the decryption binds: a stage gets a shared image only for the
// very bytes it would have opened, opened as it would have. What Open or
// the decoder could not make into an image (a reason, an error) is not
// shared: each stage meets it itself.

// Decodes shares decoded captures between the stages of one process. The
// nil *Decodes shares nothing: OpenImage decodes every call.
type Decodes struct {
	readers int
	hold    time.Duration
	max     int64 // bytes of pixels held at most

	mu      sync.Mutex
	entries map[decodeKey]*decoded
	held    int64
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
	d := &Decodes{readers: cfg.Readers, hold: cfg.Hold, max: cfg.MaxBytes, entries: map[decodeKey]*decoded{}}
	if d.readers <= 0 {
		d.readers = 2
	}
	if d.hold <= 0 {
		d.hold = 10 * time.Second
	}
	if d.max <= 0 {
		d.max = 64 << 20
	}
	return d
}

// decodeKey names a capture as Open reads it: its object, the SHA-256 of
// its sealed bytes, and the session, attempt, kind and index its opening
// binds (the HPKE info); and the decoder's limit.
type decodeKey struct {
	object    string
	sha256    string
	session   uuid.UUID
	attempt   int
	kind      schemas.CaptureKind
	index     int
	maxPixels int64
}

// decoded is one capture's shared decode: img is set before ready closes;
// nil when it gave no image.
type decoded struct {
	ready chan struct{}
	img   image.Image
	bytes int64
	reads int
	// expiry forgets it after hold; stopped when it is forgotten before,
	// so that nothing keeps the image alive past its last reader.
	expiry *time.Timer
}

// OpenImage is the package's OpenImage through d: an image another stage
// decoded from the same sealed bytes, or one decoded now and kept for the
// others.
func (d *Decodes) OpenImage(ctx context.Context, store Getter, key *seal.SessionKey, c idv.Capture, maxBytes, maxPixels int64) (image.Image, string, error) {
	if d == nil || c.Size > maxBytes {
		return OpenImage(ctx, store, key, c, maxBytes, maxPixels)
	}
	k := decodeKey{object: c.ObjectKey, sha256: string(c.SHA256), session: c.SessionID, attempt: c.Attempt,
		kind: c.Kind, index: c.Index, maxPixels: maxPixels}
	e, first := d.claim(k)
	if !first {
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, "", ctx.Err()
		}
		if e.img != nil {
			return e.img, "", nil
		}
		return OpenImage(ctx, store, key, c, maxBytes, maxPixels) // it gave none: meet why
	}
	img, reason, err := OpenImage(ctx, store, key, c, maxBytes, maxPixels)
	d.settle(k, e, img)
	return img, reason, err
}

// claim is k's entry and whether the caller is the first, who decodes.
func (d *Decodes) claim(k decodeKey) (*decoded, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.entries[k]; ok {
		e.reads++
		if e.reads >= d.readers {
			d.forget(k, e)
		}
		return e, false
	}
	e := &decoded{ready: make(chan struct{}), reads: 1}
	d.entries[k] = e
	return e, true
}

// settle publishes the first reader's image to those waiting, and keeps it
// for later readers while it fits.
func (d *Decodes) settle(k decodeKey, e *decoded, img image.Image) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e.img = img
	close(e.ready)
	if d.entries[k] != e {
		return // its readers have all come
	}
	e.bytes = pixelBytes(img)
	if img == nil || e.reads >= d.readers || d.held+e.bytes > d.max {
		delete(d.entries, k)
		return
	}
	d.held += e.bytes
	e.expiry = time.AfterFunc(d.hold, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.entries[k] == e {
			d.forget(k, e)
		}
	})
}

// forget drops k's entry.
func (d *Decodes) forget(k decodeKey, e *decoded) {
	delete(d.entries, k)
	d.held -= e.bytes
	if e.expiry != nil {
		e.expiry.Stop()
	}
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
