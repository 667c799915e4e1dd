package doccheck

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"runtime"
	"testing"

	"github.com/idv-oss/idv/consumers/capture"
)

// testImage is a small picture with some structure, so JPEG has something
// to encode.
func testImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 11), uint8(x ^ y), 255})
		}
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngClaiming is a well-formed PNG header (signature, IHDR with a valid CRC,
// an empty IDAT, IEND) claiming a w×h greyscale image: decoding it would
// allocate w×h bytes before finding out there is no data.
func pngClaiming(w, h uint32) []byte {
	chunk := func(typ string, data []byte) []byte {
		var b bytes.Buffer
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
		return b.Bytes()
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8] = 8 // bit depth; colour type 0, greyscale
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, chunk("IHDR", ihdr)...)
	out = append(out, chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00})...)
	return append(out, chunk("IEND", nil)...)
}

// jpegClaiming is a baseline JPEG header (SOI, SOF0, SOS) claiming w×h.
func jpegClaiming(w, h uint16) []byte {
	return []byte{0xff, 0xd8,
		0xff, 0xc0, 0x00, 0x0b, 0x08, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 0x01, 0x01, 0x11, 0x00,
		0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00}
}

func TestImageGate(t *testing.T) {
	t.Parallel()
	small := testImage(40, 30)
	goodPNG, goodJPEG := encodePNG(t, small), encodeJPEG(t, small)
	var gifData bytes.Buffer
	if err := gif.Encode(&gifData, small, nil); err != nil {
		t.Fatal(err)
	}
	deep := image.NewNRGBA64(small.Bounds())
	draw.Draw(deep, deep.Bounds(), small, image.Point{}, draw.Src)
	deepPNG := encodePNG(t, deep)
	cases := []struct {
		name      string
		data      []byte
		maxPixels int64
		want      string
	}{
		{"16-bit PNG counted twice, at the cap", deepPNG, 2 * 40 * 30, ""},
		{"16-bit PNG counted twice, over the cap", deepPNG, 2*40*30 - 1, ReasonImageTooLarge},
		{"PNG", goodPNG, capture.DefaultMaxPixels, ""},
		{"JPEG", goodJPEG, capture.DefaultMaxPixels, ""},
		{"PNG exactly at the cap", goodPNG, 40 * 30, ""},
		{"PNG one pixel over the cap", goodPNG, 40*30 - 1, ReasonImageTooLarge},
		{"JPEG over the cap", goodJPEG, 100, ReasonImageTooLarge},
		{"PNG claiming 30000×30000", pngClaiming(30000, 30000), capture.DefaultMaxPixels, ReasonImageTooLarge},
		{"PNG claiming 100000×100000", pngClaiming(100000, 100000), capture.DefaultMaxPixels, ReasonImageTooLarge},
		{"JPEG claiming 65000×65000", jpegClaiming(65000, 65000), capture.DefaultMaxPixels, ReasonImageTooLarge},
		{"PNG claiming 100×100 without data", pngClaiming(100, 100), capture.DefaultMaxPixels, ReasonImageCorrupt},
		{"PNG truncated", goodPNG[:len(goodPNG)/2], capture.DefaultMaxPixels, ReasonImageCorrupt},
		{"JPEG truncated", goodJPEG[:len(goodJPEG)/2], capture.DefaultMaxPixels, ReasonImageCorrupt},
		{"PNG header cut short", goodPNG[:12], capture.DefaultMaxPixels, ReasonImageCorrupt},
		{"GIF (registered here by the test, still refused)", gifData.Bytes(), capture.DefaultMaxPixels, ReasonNotAnImage},
		{"PDF", []byte("%PDF-1.7\n1 0 obj\n"), capture.DefaultMaxPixels, ReasonNotAnImage},
		{"text", bytes.Repeat([]byte("front"), 100), capture.DefaultMaxPixels, ReasonNotAnImage},
		{"empty", nil, capture.DefaultMaxPixels, ReasonNotAnImage},
	}
	for _, c := range cases {
		img, reason := capture.DecodeImage(c.data, c.maxPixels)
		if reason != c.want {
			t.Errorf("%s: reason %q, want %q", c.name, reason, c.want)
			continue
		}
		if (img == nil) != (reason != "") {
			t.Errorf("%s: image %v with reason %q", c.name, img != nil, reason)
		}
		if img != nil && img.Bounds() != small.Bounds() {
			t.Errorf("%s: decoded bounds %v, want %v", c.name, img.Bounds(), small.Bounds())
		}
	}
}

// TestImageBombRefusedCheaply proves the pixel cap is applied before any
// pixel buffer exists: refusing a PNG that claims 30000×30000 (900 MB of
// grey pixels if decoded) allocates almost nothing. It measures the
// process's allocations, so it does not run in parallel with other tests;
// the bound is three orders of magnitude below what a decode would take.
func TestImageBombRefusedCheaply(t *testing.T) {
	bomb := pngClaiming(30000, 30000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, reason := capture.DecodeImage(bomb, capture.DefaultMaxPixels)
	runtime.ReadMemStats(&after)
	if reason != ReasonImageTooLarge {
		t.Fatalf("reason %q, want %q", reason, ReasonImageTooLarge)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Fatalf("refusing the bomb allocated %d bytes; the cap must apply before decoding", n)
	}
}

// FuzzImageCheck: the gate never panics, answers only with its three
// reasons, and never returns an image whose header exceeds the cap or whose
// size differs from its header. The seed corpus (testdata/fuzz/FuzzImageCheck)
// holds a tiny PNG and JPEG, truncations of both, headers claiming
// 30000×30000 (PNG) and 65000×65000 (JPEG), a GIF, a PDF and nothing.
func FuzzImageCheck(f *testing.F) {
	// A small cap keeps each run cheap while leaving room for images the
	// fuzzer can grow into acceptance.
	const maxPixels = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		img, reason := capture.DecodeImage(data, maxPixels)
		switch reason {
		case "":
			if img == nil {
				t.Fatal("no image and no reason")
			}
		case ReasonNotAnImage, ReasonImageTooLarge, ReasonImageCorrupt:
			if img != nil {
				t.Fatalf("image returned with reason %q", reason)
			}
		default:
			t.Fatalf("unknown reason %q", reason)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil || (format != "png" && format != "jpeg") {
			if reason == "" {
				t.Fatalf("accepted an image whose header does not read as PNG or JPEG (%q, %v)", format, err)
			}
			return
		}
		pixels := int64(cfg.Width) * int64(cfg.Height)
		if pixels > maxPixels && reason != ReasonImageTooLarge {
			t.Fatalf("%d×%d over the cap of %d pixels: reason %q", cfg.Width, cfg.Height, maxPixels, reason)
		}
		if img != nil && (img.Bounds().Dx() != cfg.Width || img.Bounds().Dy() != cfg.Height) {
			t.Fatalf("decoded %v, header says %d×%d", img.Bounds(), cfg.Width, cfg.Height)
		}
	})
}
