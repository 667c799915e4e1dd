package ocrb_test

import (
	"image"
	"testing"

	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/imagegate"
)

// FuzzRead: the reader never panics on any image: a decoded PNG or JPEG
// when the bytes are one (the seed corpus in testdata/fuzz/FuzzRead holds a
// small card with an MRZ), else the bytes themselves as a greyscale image
// of the given width.
func FuzzRead(f *testing.F) {
	r, err := ocrb.NewReader()
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{0, 255, 0, 255, 0, 255, 0, 255}, uint16(2))
	f.Fuzz(func(t *testing.T, data []byte, width uint16) {
		if img, reason := imagegate.Decode(data, 2_000_000); reason == "" {
			read(t, r, img)
		}
		w := int(width%400) + 1
		if h := len(data) / w; h > 0 {
			g := image.NewGray(image.Rect(0, 0, w, h))
			copy(g.Pix, data)
			read(t, r, g)
		}
	})
}

// read checks what the reader promises besides not panicking: an error is
// ErrNoMRZ, and a result has two or three lines of one MRZ length with
// confidences in [0, 1].
func read(t *testing.T, r *ocrb.Reader, img image.Image) {
	res, err := r.Read(img)
	if err != nil {
		if err != ocrb.ErrNoMRZ {
			t.Fatalf("error %v, want ErrNoMRZ", err)
		}
		return
	}
	if n := len(res.Lines); n != 2 && n != 3 {
		t.Fatalf("%d lines", n)
	}
	for _, l := range res.Lines {
		if len(l) != len(res.Lines[0]) || len(l) != 30 && len(l) != 36 && len(l) != 44 {
			t.Fatalf("line of %d characters in %q", len(l), res.Text())
		}
		for _, c := range l {
			if c.Confidence < 0 || c.Confidence > 1 {
				t.Fatalf("confidence %v", c.Confidence)
			}
		}
	}
}
