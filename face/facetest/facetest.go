// Package facetest gives tests outside face the installed face
// engine and Debian's lawful test photos, skipping without them unless
// IDV_REQUIRE_FACE is set (as `go tool task test` sets it): then their
// absence fails the test.
package facetest

import (
	"image"
	_ "image/jpeg" // the photos are JPEG and PNG
	_ "image/png"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/evaluation"
	"github.com/idv-oss/idv/face/synth"
)

// SkipOrFail skips, or fails when IDV_REQUIRE_FACE is set.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("IDV_REQUIRE_FACE") != "" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// shared is the test binary's one engine: loading the six models takes
// seconds, and an Engine is safe for concurrent use.
var shared struct {
	once sync.Once
	e    *face.Engine
	err  error
}

// Engine returns the engine installed in IDV_FACE_DIR with all its models,
// opened once per test binary and left open until the process ends.
func Engine(t testing.TB) *face.Engine {
	t.Helper()
	dir := os.Getenv("IDV_FACE_DIR")
	if dir == "" {
		SkipOrFail(t, `IDV_FACE_DIR not set: run IDV_FACE_DIR="$(scripts/face-models.sh)" go test …`)
	}
	shared.once.Do(func() { shared.e, shared.err = face.Open(dir, face.Config{}) })
	if shared.err != nil {
		SkipOrFail(t, "face engine: %v", shared.err)
	}
	return shared.e
}

// Photo decodes one of the photos scripts/test-images.sh puts in
// IDV_TEST_IMAGES (grace_hopper.jpg, astronaut.png, …).
func Photo(t testing.TB, name string) image.Image {
	t.Helper()
	dir := os.Getenv("IDV_TEST_IMAGES")
	if dir == "" {
		SkipOrFail(t, `IDV_TEST_IMAGES not set: run IDV_TEST_IMAGES="$(scripts/test-images.sh)" go test …`)
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		SkipOrFail(t, "test photo: %v", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return img
}

// Locate finds the largest face of a photo, with its landmarks, as
// synth.Sequence wants it.
func Locate(t testing.TB, e *face.Engine, img image.Image) synth.Face {
	t.Helper()
	f, err := evaluation.Locate(e, img)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
