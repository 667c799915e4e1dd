package face

import (
	"bytes"
	"image"
	"image/jpeg"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// Debian ships these photos (public domain / NASA); they are read where
// their packages install them and never copied into the repository.
var (
	astronautPaths = []string{ // python3-skimage; python3-imageio
		"/usr/lib/python3/dist-packages/skimage/data/astronaut.png",
		"/usr/lib/python3/dist-packages/imageio/resources/images/astronaut.png",
	}
	hopperPaths = []string{ // python-matplotlib-data
		"/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg",
	}
)

// loadImage reads the first of paths that exists, looking first in
// IDV_TEST_IMAGES (scripts/test-images.sh unpacks the photos there).
func loadImage(t testing.TB, paths ...string) image.Image {
	t.Helper()
	if dir := os.Getenv("IDV_TEST_IMAGES"); dir != "" {
		paths = append([]string{filepath.Join(dir, filepath.Base(paths[0]))}, paths...)
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		defer f.Close()
		img, _, err := image.Decode(f)
		if err != nil {
			t.Fatalf("decode %s: %v", p, err)
		}
		return img
	}
	skipOrFail(t, "test image %s absent: run IDV_TEST_IMAGES=\"$(scripts/test-images.sh)\" go test ./face", filepath.Base(paths[0]))
	return nil
}

func astronaut(t testing.TB) image.Image { return loadImage(t, astronautPaths...) }
func hopper(t testing.TB) image.Image    { return loadImage(t, hopperPaths...) }

func reencode(t testing.TB, img image.Image, quality int) image.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	out, err := jpeg.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// oneFace detects and requires exactly one face.
func oneFace(t testing.TB, e *Engine, img image.Image) Face {
	t.Helper()
	faces, err := e.Detect(img)
	if err != nil {
		t.Fatal(err)
	}
	if len(faces) != 1 {
		t.Fatalf("Detect found %d faces, want 1: %+v", len(faces), faces)
	}
	return faces[0]
}

func embed(t testing.TB, e *Engine, img image.Image) []float32 {
	t.Helper()
	v, err := e.Embed(img, oneFace(t, e, img))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDetectDebianImages(t *testing.T) {
	e := setup(t, Config{Models: []string{Detector, Landmarker}})
	for _, tc := range []struct {
		name   string
		load   func(testing.TB) image.Image
		centre Point // of the face, read off the photo by eye
	}{
		{"astronaut", astronaut, Point{224, 118}},
		{"grace_hopper", hopper, Point{265, 228}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := tc.load(t)
			f := oneFace(t, e, img)
			t.Logf("score %.6f box %+v", f.Score, f.Box)
			if f.Score < 0.9 {
				t.Errorf("score %v, want ≥ 0.9 for a frontal portrait", f.Score)
			}
			cx, cy := (f.Box.X1+f.Box.X2)/2, (f.Box.Y1+f.Box.Y2)/2
			if math.Hypot(cx-tc.centre.X, cy-tc.centre.Y) > 30 {
				t.Errorf("box centre (%.0f, %.0f), want near %v", cx, cy, tc.centre)
			}

			lm, err := e.Landmarks(img, f)
			if err != nil {
				t.Fatal(err)
			}
			p := fivePoints(lm)
			sq := squared(f.Box)
			for i, q := range p {
				if q.X < sq.X1 || q.X > sq.X2 || q.Y < sq.Y1 || q.Y > sq.Y2 {
					t.Errorf("point %d %v outside the face crop %v", i, q, sq)
				}
			}
			// Upright faces: eyes left to right, above the nose tip, above the mouth.
			if !(p[0].X < p[1].X && p[3].X < p[4].X && math.Max(p[0].Y, p[1].Y) < p[2].Y && p[2].Y < math.Min(p[3].Y, p[4].Y)) {
				t.Errorf("five points out of place: %v", p)
			}
		})
	}
}

func TestDetectBlankImage(t *testing.T) {
	e := setup(t, Config{Models: []string{Detector}})
	faces, err := e.Detect(image.NewGray(image.Rect(0, 0, 640, 480)))
	if err != nil {
		t.Fatal(err)
	}
	if len(faces) != 0 {
		t.Fatalf("Detect found %+v in a blank image", faces)
	}
}

func TestEmbedSamePhotoReencoded(t *testing.T) {
	e := setup(t, Config{Models: []string{Detector, Landmarker, Feature}})
	for _, tc := range []struct {
		name string
		load func(testing.TB) image.Image
	}{
		{"astronaut", astronaut},
		{"grace_hopper", hopper},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := tc.load(t)
			a := embed(t, e, img)
			if len(a) != 512 {
				t.Fatalf("embedding has %d dimensions, want 512", len(a))
			}
			var n float64
			for _, x := range a {
				n += float64(x) * float64(x)
			}
			if math.Abs(n-1) > 1e-4 {
				t.Errorf("|embedding|² = %v, want 1", n)
			}
			for _, q := range []int{90, 60} {
				b := embed(t, e, reencode(t, img, q))
				c := Cosine(a, b)
				t.Logf("JPEG quality %d: cosine %.4f", q, c)
				if c < 0.9 {
					t.Errorf("JPEG quality %d: cosine %.4f to the original, want ≥ 0.9", q, c)
				}
			}
		})
	}
}

func TestEmbedDifferentPeople(t *testing.T) {
	e := setup(t, Config{Models: []string{Detector, Landmarker, Feature}})
	c := Cosine(embed(t, e, hopper(t)), embed(t, e, astronaut(t)))
	t.Logf("grace_hopper vs astronaut: cosine %.4f", c)
	if c >= 0.4 {
		t.Fatalf("grace_hopper vs astronaut: cosine %.4f, want < 0.4", c)
	}
}

// transform renders img scaled by s and rotated by deg degrees about its
// centre.
func transform(img image.Image, s, deg float64) image.Image {
	b := img.Bounds()
	W, H := float64(b.Dx()), float64(b.Dy())
	w, h := int(W*s), int(H*s)
	c, n := math.Cos(deg*math.Pi/180)/s, math.Sin(deg*math.Pi/180)/s
	m := affine{a: c, b: -n, d: n, e: c} // output → image
	m.c = float64(b.Min.X) + W/2 - (c*float64(w)/2 - n*float64(h)/2)
	m.f = float64(b.Min.Y) + H/2 - (n*float64(w)/2 + c*float64(h)/2)
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	pixelsOf(img).crop(m, w, h, func(i int, R, G, B float32) {
		out.Pix[4*i], out.Pix[4*i+1], out.Pix[4*i+2], out.Pix[4*i+3] = uint8(R), uint8(G), uint8(B), 255
	})
	return out
}

// The alignment, not the photo's framing, must decide the embedding.
func TestEmbedSurvivesScaleAndRotation(t *testing.T) {
	e := setup(t, Config{Models: []string{Detector, Landmarker, Feature}})
	img := hopper(t)
	a := embed(t, e, img)
	for _, tc := range []struct{ scale, deg float64 }{{0.5, 0}, {2, 0}, {1, 15}, {0.7, -20}} {
		c := Cosine(a, embed(t, e, transform(img, tc.scale, tc.deg)))
		t.Logf("scale %.1f, rotation %+.0f°: cosine %.4f", tc.scale, tc.deg, c)
		if c < 0.9 {
			t.Errorf("scale %.1f, rotation %+.0f°: cosine %.4f to the original, want ≥ 0.9", tc.scale, tc.deg, c)
		}
	}
}

func BenchmarkDetect(b *testing.B) {
	e := setup(b, Config{Models: []string{Detector}})
	img := hopper(b)
	for b.Loop() {
		if _, err := e.Detect(img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEmbed is landmarks, alignment and embedding of one detected face.
func BenchmarkEmbed(b *testing.B) {
	e := setup(b, Config{Models: []string{Detector, Landmarker, Feature}})
	img := hopper(b)
	f := oneFace(b, e, img)
	for b.Loop() {
		if _, err := e.Embed(img, f); err != nil {
			b.Fatal(err)
		}
	}
}
