package cardimage

import (
	"image"
	"os"
	"path/filepath"
	"testing"

	_ "image/jpeg" // the Debian photos are JPEG and PNG
	_ "image/png"
)

// DebianPhotos returns the lawful Debian test photos (grace_hopper.jpg,
// astronaut.png) by name from IDV_TEST_IMAGES, where
// scripts/test-images.sh unpacks them, and skips the test without them
// (fails, when IDV_REQUIRE_FACE says the assets must be there):
// real photos of people, sharp and in colour, and no documents.
func DebianPhotos(tb testing.TB) map[string]image.Image {
	tb.Helper()
	dir := os.Getenv("IDV_TEST_IMAGES")
	if dir == "" {
		const how = `test photos absent: run with IDV_TEST_IMAGES="$(scripts/test-images.sh)"`
		if os.Getenv("IDV_REQUIRE_FACE") != "" { // set with the photos by go tool task test
			tb.Fatal(how)
		}
		tb.Skip(how)
	}
	out := map[string]image.Image{}
	for _, name := range []string{"grace_hopper.jpg", "astronaut.png"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		img, _, err := image.Decode(f)
		f.Close()
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		out[name] = img
	}
	return out
}
