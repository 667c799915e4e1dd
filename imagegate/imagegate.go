// Package imagegate is the gate every image passes before anything looks at
// its pixels: it decodes only JPEG and PNG, and refuses decompression bombs
// before they allocate. Its reason codes are the stable ones results carry.
package imagegate

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	_ "image/jpeg" // image.DecodeConfig reads JPEG headers
	"image/png"

	"github.com/idv-oss/idv/imagegate/fastjpeg"
)

// Reason codes of images the gate refuses.
const (
	// ReasonNotAnImage: not a JPEG or PNG.
	ReasonNotAnImage = "not_an_image"
	// ReasonImageTooLarge: more pixels than the cap (stages also give it for
	// a capture of more sealed bytes than its slot takes).
	ReasonImageTooLarge = "image_too_large"
	// ReasonImageCorrupt: a JPEG or PNG that does not decode.
	ReasonImageCorrupt = "image_corrupt"
)

// DefaultMaxPixels is the largest image a stage decodes: 24 megapixels, a
// phone camera's default photo (12 MP, 24 MP on some; the 48–200 MP modes
// are refused as image_too_large and the person asked to retake), and a
// bound on what a decode may allocate: 96 MiB, and 96 MiB more when a face
// stage converts a JPEG to RGBA. With 40 MP, two 16-bit PNG bombs of 6300²
// pixels (300 KiB each) took a face-match worker to 1.5 GiB (TestHostileCaptures).
const DefaultMaxPixels = 24_000_000

// decoders are the only image formats a stage accepts. Decoding goes
// through them by name rather than through image.Decode, so a format some
// other package registers (GIF, BMP, WebP…) is refused, not decoded.
var decoders = map[string]func([]byte) (image.Image, error){
	"jpeg": fastjpeg.Decode, // image/jpeg's image or error, faster
	"png":  func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) },
}

// Decode is the gate every image passes before anything looks at its
// pixels. image.Decode allocates whatever the header claims (FACTS:
// a 926 KiB PNG declaring 30000×30000 needs ≥ 858 MiB), so the header is
// read alone first and an image over maxPixels is refused before a single
// pixel buffer exists. It returns the decoded image, or the reason it was
// refused: ReasonNotAnImage, ReasonImageTooLarge or ReasonImageCorrupt.
func Decode(data []byte, maxPixels int64) (image.Image, string) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if errors.Is(err, image.ErrFormat) {
		return nil, ReasonNotAnImage
	}
	decode, ok := decoders[format]
	if err == nil && !ok {
		return nil, ReasonNotAnImage
	}
	if err != nil {
		return nil, ReasonImageCorrupt // a known signature, an unreadable header
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, ReasonImageCorrupt
	}
	// Both are ints below 2³¹ for the registered formats (PNG caps them
	// there, JPEG at 2¹⁶), so the product fits in an int64.
	if pixelCost(cfg) > maxPixels {
		return nil, ReasonImageTooLarge
	}
	img, err := decode(data)
	if err != nil {
		return nil, ReasonImageCorrupt
	}
	// The decoders size the image from the same header; a mismatch would
	// mean the pixel cap was judged on the wrong numbers.
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, ReasonImageCorrupt
	}
	return img, ""
}

// pixelCost is what an image counts against the pixel cap: its pixels,
// twice over at 16 bits a channel, which decodes to 8 bytes a pixel rather
// than 4.
func pixelCost(cfg image.Config) int64 {
	n := int64(cfg.Width) * int64(cfg.Height)
	if cfg.ColorModel == color.RGBA64Model || cfg.ColorModel == color.NRGBA64Model {
		n *= 2
	}
	return n
}
