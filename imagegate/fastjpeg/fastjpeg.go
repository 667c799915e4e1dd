// Package fastjpeg decodes JPEG images as image/jpeg does, to the same
// image pixel for pixel, faster for the kind a camera or an encoder
// writes: sequential (baseline or extended) Huffman coding, 8-bit samples,
// greyscale or YCbCr, every component in one scan, optionally with restart
// intervals (issue 20: decoding was the largest cost of a verification
// outside the engines).
//
// Anything else — progressive or arithmetic coding, more than one scan,
// CMYK, Adobe or RGB colour, fill bytes or stray data between segments,
// a Huffman table that is not a prefix code, data that runs out or breaks
// off — it hands to image/jpeg, which then gives its own image or error:
// Decode's answer is image/jpeg's for every input. The speed comes from a
// 64-bit bit reader, a 9-bit Huffman look-up, dequantising as the
// coefficients arrive, and an inverse DCT with image/jpeg's arithmetic
// that skips the rows whose coefficients are zero and shortens the rest
// for blocks with few (idct.go).
package fastjpeg

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"runtime"
)

// errFallback is every reason the fast path declines an input; Decode
// then asks image/jpeg.
var errFallback = errors.New("fastjpeg: left to image/jpeg")

// collectAbove is how many bytes of pixels the fast path must have
// allocated before giving up for Decode to collect them before image/jpeg
// allocates its own (8 MiB: about 5.6 megapixels of 4:2:0).
const collectAbove = 8 << 20

// Decode decodes a JPEG image: the same image, or the same error, as
// image/jpeg.Decode gives for data. When the fast path gives up on an
// image it had allocated (a scan that breaks off, say), its pixels are
// collected first if they are many, so that a decode holds one image's
// pixels at a time, as image/jpeg's alone does (imagegate's bound on what
// a decode allocates).
func Decode(data []byte) (image.Image, error) {
	d := &decoder{data: data}
	if img, err := d.decode(); err == nil {
		return img, nil
	}
	if d.pixelBytes() >= collectAbove {
		d = nil // the image it gave up on: garbage now
		runtime.GC()
	}
	return jpeg.Decode(bytes.NewReader(data))
}

// decodeFast decodes data when it is of the kind the package decodes
// itself, and fails with errFallback otherwise.
func decodeFast(data []byte) (image.Image, error) {
	d := decoder{data: data}
	return d.decode()
}

func (d *decoder) decode() (image.Image, error) {
	if err := d.readHeaders(); err != nil {
		return nil, err
	}
	d.makeImage()
	if err := d.decodeScan(); err != nil {
		return nil, err
	}
	if d.gray != nil {
		return d.gray, nil
	}
	return d.ycc, nil
}

// pixelBytes is how many bytes of pixels d has allocated.
func (d *decoder) pixelBytes() int {
	switch {
	case d.gray != nil:
		return len(d.gray.Pix)
	case d.ycc != nil:
		return len(d.ycc.Y) + len(d.ycc.Cb) + len(d.ycc.Cr)
	}
	return 0
}
