package idv

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"time"

	"github.com/google/uuid"
)

// A tenant's logo for the hosted capture page (issue 21 point 2): a
// raster image the tenant's backend uploads, which IDV decodes within
// bounds and re-encodes as PNG, so that what the page shows is pixels
// IDV wrote, nothing of the upload's metadata, chunks or tricks.
const (
	// MaxLogoSide bounds a logo's width and height, in pixels, as the
	// upload's header declares them: checked before any pixel is decoded.
	MaxLogoSide = 512
	// MaxLogoBytes bounds the logo as IDV re-encoded it.
	MaxLogoBytes = 64 << 10
)

// ErrLogo is wrapped by every refusal of an uploaded logo.
var ErrLogo = errors.New("logo refused")

// Logo is a tenant's logo as IDV keeps and serves it.
type Logo struct {
	TenantID      uuid.UUID
	PNG           []byte // re-encoded by NewLogo
	SHA256        []byte // of PNG
	Width, Height int
	UpdatedAt     time.Time
}

// Name is the content-hashed name the logo is served under: the first 12
// hex digits of its SHA-256, .png.
func (l Logo) Name() string { return hex.EncodeToString(l.SHA256[:6]) + ".png" }

// NewLogo decodes upload, a PNG or JPEG, and re-encodes it as PNG: its
// header's dimensions are read first (image.DecodeConfig) and refused
// above MaxLogoSide before the image is decoded — a decoder allocates
// what the header claims — and the PNG written is refused above
// MaxLogoBytes. Every refusal wraps ErrLogo with what to change.
func NewLogo(tenantID uuid.UUID, upload []byte, at time.Time) (Logo, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(upload))
	if err != nil {
		return Logo{}, fmt.Errorf("%w: not a PNG or JPEG image", ErrLogo)
	}
	if format != "png" && format != "jpeg" {
		return Logo{}, fmt.Errorf("%w: a %s image; upload a PNG or JPEG", ErrLogo, format)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxLogoSide || cfg.Height > MaxLogoSide {
		return Logo{}, fmt.Errorf("%w: %d × %d pixels; at most %d × %d", ErrLogo, cfg.Width, cfg.Height, MaxLogoSide, MaxLogoSide)
	}
	img, err := decodeAs(format, upload)
	if err != nil {
		return Logo{}, fmt.Errorf("%w: the %s does not decode: %v", ErrLogo, format, err)
	}
	b := img.Bounds()
	if b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return Logo{}, fmt.Errorf("%w: the image's size differs from its header's", ErrLogo)
	}
	// Drawn afresh: PNG chunks, JPEG markers, ICC profiles and comments of
	// the upload stay behind.
	pixels := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(pixels, pixels.Bounds(), img, b.Min, draw.Src)
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, pixels); err != nil {
		return Logo{}, fmt.Errorf("logo: encode: %w", err)
	}
	if out.Len() > MaxLogoBytes {
		return Logo{}, fmt.Errorf("%w: %d bytes as PNG, at most %d: use fewer colours or a smaller image", ErrLogo, out.Len(), MaxLogoBytes)
	}
	sum := sha256.Sum256(out.Bytes())
	return Logo{TenantID: tenantID, PNG: out.Bytes(), SHA256: sum[:], Width: b.Dx(), Height: b.Dy(), UpdatedAt: at.UTC()}, nil
}

// decodeAs decodes upload with the decoder of format (png or jpeg) only.
func decodeAs(format string, upload []byte) (image.Image, error) {
	if format == "png" {
		return png.Decode(bytes.NewReader(upload))
	}
	return jpeg.Decode(bytes.NewReader(upload))
}
