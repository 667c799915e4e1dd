package idv_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
)

// logoOf encodes a w×h image, a gradient (or noise, which does not
// compress), as format.
func logoOf(t testing.TB, w, h int, format string, noise bool) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	seed := uint32(1)
	for y := range h {
		for x := range w {
			c := color.NRGBA{uint8(x), uint8(y), 120, 255}
			if noise {
				seed = seed*1664525 + 1013904223
				c = color.NRGBA{uint8(seed >> 24), uint8(seed >> 16), uint8(seed >> 8), 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&b, img)
	case "jpeg":
		err = jpeg.Encode(&b, img, nil)
	case "gif":
		err = gif.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// hugePNG is a PNG whose header claims w×h pixels, with no pixels after
// it: what would make a decoder allocate w×h×4 bytes.
func hugePNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(ihdr))))
	b.Write(chunk)
	b.Write(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(chunk)))
	return b.Bytes()
}

func TestNewLogo(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	for _, tc := range []struct {
		name   string
		upload []byte
		ok     bool
	}{
		{"PNG", logoOf(t, 200, 80, "png", false), true},
		{"JPEG", logoOf(t, 512, 512, "jpeg", false), true},
		{"one pixel", logoOf(t, 1, 1, "png", false), true},
		{"too wide", logoOf(t, 513, 10, "png", false), false},
		{"too tall", logoOf(t, 10, 513, "jpeg", false), false},
		{"header claims 100000 × 100000", hugePNG(100000, 100000), false},
		{"header claims 512 × 512, no pixels", hugePNG(512, 512), false},
		{"GIF", logoOf(t, 20, 20, "gif", false), false},
		{"SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), false},
		{"nothing", nil, false},
		{"over 64 KiB as PNG", logoOf(t, 512, 512, "png", true), false},
	} {
		l, err := idv.NewLogo(id, tc.upload, time.Now())
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, idv.ErrLogo)) {
			t.Errorf("%s: %v, want accepted %v", tc.name, err, tc.ok)
			continue
		}
		if err != nil {
			continue
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(l.PNG))
		if err != nil || len(l.PNG) > idv.MaxLogoBytes || cfg.Width != l.Width || cfg.Height != l.Height || len(l.SHA256) != 32 ||
			len(l.Name()) != len("0123456789ab.png") {
			t.Errorf("%s: re-encoded %d bytes, %+v, %v, name %s", tc.name, len(l.PNG), cfg, err, l.Name())
		}
	}
}

// FuzzNewLogo: whatever a tenant uploads, NewLogo refuses it (ErrLogo) or
// returns a PNG within the bounds, which decodes as it says.
func FuzzNewLogo(f *testing.F) {
	f.Add(logoOf(f, 16, 16, "png", false))
	f.Add(logoOf(f, 16, 16, "jpeg", false))
	f.Add(hugePNG(100000, 100000))
	f.Add(hugePNG(512, 512))
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, upload []byte) {
		l, err := idv.NewLogo(uuid.Nil, upload, time.Time{})
		if err != nil {
			if !errors.Is(err, idv.ErrLogo) {
				t.Fatalf("refusal without ErrLogo: %v", err)
			}
			return
		}
		img, err := png.Decode(bytes.NewReader(l.PNG))
		if err != nil || len(l.PNG) > idv.MaxLogoBytes || l.Width > idv.MaxLogoSide || l.Height > idv.MaxLogoSide ||
			img.Bounds().Dx() != l.Width || img.Bounds().Dy() != l.Height {
			t.Fatalf("logo %d bytes, %d × %d: %v", len(l.PNG), l.Width, l.Height, err)
		}
	})
}
