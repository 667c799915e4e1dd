package framecheck

import (
	"fmt"
	"image"
)

// MaxPixels is the largest frame NewFrame allocates: the largest image the
// server decodes (imagegate.DefaultMaxPixels; a test holds them equal).
// Importing imagegate would link its JPEG decoder into the page's module,
// about 30 KB more gzipped, for one number.
const MaxPixels = 24_000_000

// NewFrame returns a blank width×height frame for a canvas's pixels
// (ImageData: RGBA, 8 bits a channel, alpha not premultiplied), to be
// filled in place. It refuses a frame with no pixels and one larger than
// MaxPixels before allocating it.
func NewFrame(width, height int) (*image.NRGBA, error) {
	if width <= 0 || height <= 0 {
		return nil, fmt.Errorf("framecheck: frame %d×%d: no pixels", width, height)
	}
	if int64(width)*int64(height) > MaxPixels {
		return nil, fmt.Errorf("framecheck: frame %d×%d: more than %d pixels", width, height, MaxPixels)
	}
	return image.NewNRGBA(image.Rect(0, 0, width, height)), nil
}
