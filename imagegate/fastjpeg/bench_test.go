package fastjpeg

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecode decodes, with image/jpeg and with this package, images
// of the sizes a verification's captures have in idv loadgen -mode real
// (a 1219×840 document photo, 512×600 selfie frames), generated and
// encoded at quality 90 by image/jpeg, and, when IDV_TEST_IMAGES names the
// Debian test photos (scripts/test-images.sh), the two JPEGs among them
// as they are:
//
//	IDV_TEST_IMAGES=$(bash scripts/test-images.sh) go test -run '^$' -bench Decode ./imagegate/fastjpeg
func BenchmarkDecode(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	inputs := map[string][]byte{}
	for _, size := range [][2]int{{1219, 840}, {512, 600}} {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, testImage(rng, size[0], size[1], false), &jpeg.Options{Quality: 90}); err != nil {
			b.Fatal(err)
		}
		inputs[fmt.Sprintf("generated-%dx%d", size[0], size[1])] = buf.Bytes()
	}
	if dir := os.Getenv("IDV_TEST_IMAGES"); dir != "" {
		for _, name := range []string{"grace_hopper.jpg", "messi5.jpg"} {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				b.Fatal(err)
			}
			inputs[name] = data
		}
	}
	for name, data := range inputs {
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/image-jpeg", func(b *testing.B) {
			b.SetBytes(int64(cfg.Width * cfg.Height))
			for b.Loop() {
				if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/fastjpeg", func(b *testing.B) {
			b.SetBytes(int64(cfg.Width * cfg.Height))
			for b.Loop() {
				if _, err := decodeFast(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
