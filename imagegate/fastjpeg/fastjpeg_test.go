package fastjpeg

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// goTestdata is the directory of image/jpeg's own test images, in the Go
// installation that runs the tests: every sampling image/jpeg supports,
// restart intervals, greyscale, and the kinds left to it.
func goTestdata(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(runtime.GOROOT(), "src", "image", "testdata")
	if _, err := os.Stat(filepath.Join(dir, "video-001.jpeg")); err != nil {
		t.Fatalf("image/jpeg's test images: %v", err)
	}
	return dir
}

// sameAsImageJPEG fails unless img and err are what image/jpeg.Decode
// gives for data: the same error-or-not, the same type, rectangle,
// strides and every byte of the pixel buffers.
func sameAsImageJPEG(t *testing.T, name string, data []byte, img image.Image, err error) {
	t.Helper()
	want, wantErr := jpeg.Decode(bytes.NewReader(data))
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%s: error %v, image/jpeg's %v", name, err, wantErr)
	}
	if err != nil {
		if err.Error() != wantErr.Error() {
			t.Fatalf("%s: error %q, image/jpeg's %q", name, err, wantErr)
		}
		return
	}
	if d := diff(img, want); d != "" {
		t.Fatalf("%s: %s", name, d)
	}
}

func diff(got, want image.Image) string {
	switch w := want.(type) {
	case *image.YCbCr:
		g, ok := got.(*image.YCbCr)
		if !ok {
			return fmt.Sprintf("%T, image/jpeg's %T", got, want)
		}
		if g.Rect != w.Rect || g.SubsampleRatio != w.SubsampleRatio || g.YStride != w.YStride || g.CStride != w.CStride {
			return fmt.Sprintf("layout %v %v %d %d, image/jpeg's %v %v %d %d",
				g.Rect, g.SubsampleRatio, g.YStride, g.CStride, w.Rect, w.SubsampleRatio, w.YStride, w.CStride)
		}
		for _, p := range [][2][]byte{{g.Y, w.Y}, {g.Cb, w.Cb}, {g.Cr, w.Cr}} {
			if i := firstDiff(p[0], p[1]); i >= 0 {
				return fmt.Sprintf("plane differs at byte %d of %d", i, len(p[1]))
			}
		}
	case *image.Gray:
		g, ok := got.(*image.Gray)
		if !ok {
			return fmt.Sprintf("%T, image/jpeg's %T", got, want)
		}
		if g.Rect != w.Rect || g.Stride != w.Stride {
			return fmt.Sprintf("layout %v %d, image/jpeg's %v %d", g.Rect, g.Stride, w.Rect, w.Stride)
		}
		if i := firstDiff(g.Pix, w.Pix); i >= 0 {
			return fmt.Sprintf("pixels differ at byte %d of %d", i, len(w.Pix))
		}
	default: // CMYK, RGBA: image/jpeg's own, through the fallback
		if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", want) || got.Bounds() != want.Bounds() {
			return fmt.Sprintf("%T %v, image/jpeg's %T %v", got, got.Bounds(), want, want.Bounds())
		}
	}
	return ""
}

func firstDiff(a, b []byte) int {
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// TestGoTestdata decodes every JPEG of image/jpeg's test images to what
// image/jpeg gives, and the sequential ones of one scan itself, without
// falling back.
func TestGoTestdata(t *testing.T) {
	dir := goTestdata(t)
	names, err := filepath.Glob(filepath.Join(dir, "*.jpeg"))
	if err != nil || len(names) < 20 {
		t.Fatalf("image/jpeg's test images: %d, %v", len(names), err)
	}
	fast := 0
	for _, path := range names {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(path)
		img, err := Decode(data)
		sameAsImageJPEG(t, name, data, img, err)
		_, fastErr := decodeFast(data)
		if want := ownKind(name); (fastErr == nil) != want {
			t.Errorf("%s: decoded itself %v, want %v (%v)", name, fastErr == nil, want, fastErr)
		}
		if fastErr == nil {
			fast++
		}
	}
	t.Logf("%d of %d decoded without image/jpeg", fast, len(names))
}

// ownKind names the test images the package decodes itself: all but the
// progressive, the CMYK, the RGB, the truncated and the one whose
// components come in separate scans.
func ownKind(name string) bool {
	for _, s := range []string{"progressive", "cmyk", "rgb", "truncated", "separate"} {
		if strings.Contains(name, s) {
			return false
		}
	}
	return true
}

// TestEncodedImages decodes what image/jpeg's encoder writes — 4:2:0
// colour and greyscale, every quality, sizes that leave partial MCUs —
// to exactly image/jpeg's pixels, without falling back.
func TestEncodedImages(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range [][2]int{{1, 1}, {7, 9}, {16, 16}, {17, 33}, {61, 40}, {128, 95}} {
		for _, gray := range []bool{false, true} {
			src := testImage(rng, size[0], size[1], gray)
			for q := 1; q <= 100; q += 3 {
				var buf bytes.Buffer
				if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: q}); err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("%dx%d gray=%v q%d", size[0], size[1], gray, q)
				img, err := decodeFast(buf.Bytes())
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				sameAsImageJPEG(t, name, buf.Bytes(), img, nil)
			}
		}
	}
}

// testImage is smooth gradients with noise and a few hard edges: blocks
// with only a DC coefficient, with a few, and with many.
func testImage(rng *rand.Rand, w, h int, gray bool) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8(x*255/max(w, 1) + rng.IntN(9))
			if (x/11+y/7)%5 == 0 {
				v = 255 - v
			}
			c := color.RGBA{v, uint8(y * 255 / max(h, 1)), uint8(rng.IntN(256)), 255}
			if x < w/2 {
				c.B = uint8(x + y)
			}
			img.Set(x, y, c)
		}
	}
	if !gray {
		return img
	}
	g := image.NewGray(img.Rect)
	for y := range h {
		for x := range w {
			g.Set(x, y, img.At(x, y))
		}
	}
	return g
}

// TestDamagedInputs: truncated, corrupted and extended copies of JPEGs
// of every kind the package decodes itself (4:2:0 and greyscale from
// image/jpeg's encoder; 4:4:4 and restart intervals from its test images)
// decode to image/jpeg's image or error, whichever it gives.
func TestDamagedInputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	sources := map[string][]byte{}
	for _, gray := range []bool{false, true} {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, testImage(rng, 40, 24, gray), &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		sources[fmt.Sprintf("encoded gray=%v", gray)] = buf.Bytes()
	}
	for _, name := range []string{"video-001.restart2.jpeg", "video-001.q50.444.jpeg"} {
		data, err := os.ReadFile(filepath.Join(goTestdata(t), name))
		if err != nil {
			t.Fatal(err)
		}
		sources[name] = data
	}
	for src, orig := range sources {
		if _, err := decodeFast(orig); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		for n := 0; n < len(orig); n += 1 + n/64 {
			img, err := Decode(orig[:n])
			sameAsImageJPEG(t, fmt.Sprintf("%s: first %d bytes", src, n), orig[:n], img, err)
		}
		for i := range 3000 {
			data := bytes.Clone(orig)
			data[rng.IntN(len(data))] ^= byte(1 << rng.IntN(8))
			if i%3 == 0 {
				data[rng.IntN(len(data))] = 0xff
			}
			img, err := Decode(data)
			sameAsImageJPEG(t, fmt.Sprintf("%s: flip %d", src, i), data, img, err)
		}
		tail := append(bytes.Clone(orig), "trailing bytes after EOI"...)
		img, err := decodeFast(tail)
		if err != nil {
			t.Fatalf("%s: bytes after EOI: %v", src, err)
		}
		sameAsImageJPEG(t, src+": bytes after EOI", tail, img, nil)
	}
}

// FuzzDecode: for any input, Decode gives what image/jpeg.Decode gives —
// the same image, or an error with the same text — and when the fast path
// takes an input, image/jpeg decodes it too. Inputs whose header claims
// more than a megapixel are skipped (both decoders would allocate it).
func FuzzDecode(f *testing.F) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, q := range []int{5, 50, 95} {
		for _, gray := range []bool{false, true} {
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, testImage(rng, 33, 17, gray), &jpeg.Options{Quality: q}); err != nil {
				f.Fatal(err)
			}
			f.Add(buf.Bytes())
		}
	}
	names, _ := filepath.Glob(filepath.Join(goTestdata(f), "*.jpeg"))
	for _, path := range names {
		if data, err := os.ReadFile(path); err == nil && len(data) < 64<<10 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(data)); err == nil && cfg.Width*cfg.Height > 1<<20 {
			return
		}
		img, err := Decode(data)
		sameAsImageJPEG(t, "input", data, img, err)
		if fast, err := decodeFast(data); err == nil {
			sameAsImageJPEG(t, "fast path", data, fast, nil)
		}
	})
}

// TestFallbackCollectsFirst: when the fast path gives up on a large image
// it had allocated (here its scan breaks off), Decode collects that image
// before image/jpeg allocates its own; on a small one it does not spend a
// collection. The collector's own triggers are off for the test, so every
// collection counted is Decode's.
func TestFallbackCollectsFirst(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	collections := func() uint32 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.NumGC
	}
	for _, c := range []struct {
		side    int
		collect bool
	}{{3000, true}, {64, false}} { // 9 MB of grey pixels, and 4 KB
		img := image.NewGray(image.Rect(0, 0, c.side, c.side))
		for i := range img.Pix {
			img.Pix[i] = uint8(i * 7 % 251)
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 50}); err != nil {
			t.Fatal(err)
		}
		broken := buf.Bytes()[:buf.Len()-64]
		before := collections()
		if _, err := Decode(broken); err == nil {
			t.Fatalf("%d²: a scan that breaks off decoded", c.side)
		}
		if got := collections() - before; (got > 0) != c.collect {
			t.Errorf("%d²: %d collections, want any: %v", c.side, got, c.collect)
		}
	}
}
