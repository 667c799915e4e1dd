package imagegate

import (
	"bytes"
	"image"
	"image/draw"
	"image/gif"
	"runtime"
	"testing"

	"github.com/idv-oss/idv/imagegate/imagetest"
)

func TestImageGate(t *testing.T) {
	t.Parallel()
	small := imagetest.Picture(40, 30)
	goodPNG, goodJPEG := imagetest.PNG(t, small), imagetest.JPEG(t, small)
	var gifData bytes.Buffer
	if err := gif.Encode(&gifData, small, nil); err != nil {
		t.Fatal(err)
	}
	deep := image.NewNRGBA64(small.Bounds())
	draw.Draw(deep, deep.Bounds(), small, image.Point{}, draw.Src)
	deepPNG := imagetest.PNG(t, deep)
	cases := []struct {
		name      string
		data      []byte
		maxPixels int64
		want      string
	}{
		{"16-bit PNG counted twice, at the cap", deepPNG, 2 * 40 * 30, ""},
		{"16-bit PNG counted twice, over the cap", deepPNG, 2*40*30 - 1, ReasonImageTooLarge},
		{"PNG", goodPNG, DefaultMaxPixels, ""},
		{"JPEG", goodJPEG, DefaultMaxPixels, ""},
		{"PNG exactly at the cap", goodPNG, 40 * 30, ""},
		{"PNG one pixel over the cap", goodPNG, 40*30 - 1, ReasonImageTooLarge},
		{"JPEG over the cap", goodJPEG, 100, ReasonImageTooLarge},
		{"PNG claiming 30000×30000", imagetest.PNGClaiming(30000, 30000), DefaultMaxPixels, ReasonImageTooLarge},
		{"PNG claiming 100000×100000", imagetest.PNGClaiming(100000, 100000), DefaultMaxPixels, ReasonImageTooLarge},
		{"JPEG claiming 65000×65000", imagetest.JPEGClaiming(65000, 65000), DefaultMaxPixels, ReasonImageTooLarge},
		{"PNG claiming 100×100 without data", imagetest.PNGClaiming(100, 100), DefaultMaxPixels, ReasonImageCorrupt},
		{"PNG truncated", goodPNG[:len(goodPNG)/2], DefaultMaxPixels, ReasonImageCorrupt},
		{"JPEG truncated", goodJPEG[:len(goodJPEG)/2], DefaultMaxPixels, ReasonImageCorrupt},
		{"PNG header cut short", goodPNG[:12], DefaultMaxPixels, ReasonImageCorrupt},
		{"GIF (registered here by the test, still refused)", gifData.Bytes(), DefaultMaxPixels, ReasonNotAnImage},
		{"PDF", []byte("%PDF-1.7\n1 0 obj\n"), DefaultMaxPixels, ReasonNotAnImage},
		{"text", bytes.Repeat([]byte("front"), 100), DefaultMaxPixels, ReasonNotAnImage},
		{"empty", nil, DefaultMaxPixels, ReasonNotAnImage},
	}
	for _, c := range cases {
		img, reason := Decode(c.data, c.maxPixels)
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
	bomb := imagetest.PNGClaiming(30000, 30000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, reason := Decode(bomb, DefaultMaxPixels)
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
		img, reason := Decode(data, maxPixels)
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
