// Package facetest gives tests outside face the installed face
// engine, Debian's lawful test photos and the load generator's real
// workload made from them, skipping without them unless IDV_REQUIRE_FACE
// is set (as `go tool task test` sets it): then their absence fails the
// test.
package facetest

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	_ "image/png" // the photos are JPEG and PNG
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/evaluation"
	"github.com/idv-oss/idv/face/synth"
	"github.com/idv-oss/idv/schemas"
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

// Verification is what `idv loadgen -mode real` sends for one session, as
// the app uploads it: a photo of a specimen card bearing Grace Hopper's
// portrait and, for one challenge, her frames performing it, all JPEG.
type Verification struct {
	Challenge schemas.Challenge
	Document  []byte   // JPEG, quality 90 (cardimage.SpecimenPhoto)
	Frames    [][]byte // JPEG, quality 90, in the order taken
}

// Workload builds the four verifications of the real load, one per
// challenge of evaluation.Challenges, as infra/loadgen does.
func Workload(t testing.TB, e *face.Engine) []Verification {
	t.Helper()
	img := Photo(t, "grace_hopper.jpg")
	f := Locate(t, e, img)
	doc, err := cardimage.SpecimenPhoto(mrz.SpecimenTD1(time.Now()), img, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]Verification, 0, len(evaluation.Challenges))
	for i, steps := range evaluation.Challenges {
		v := Verification{Challenge: schemas.Challenge{Steps: steps}, Document: doc}
		for _, fr := range synth.Sequence(img, f, steps, uint64(i)) {
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, fr, &jpeg.Options{Quality: 90}); err != nil {
				t.Fatal(err)
			}
			v.Frames = append(v.Frames, buf.Bytes())
		}
		out = append(out, v)
	}
	return out
}

// CPULoop runs body(i) for i = 0, 1, … as long as b.Loop asks and reports,
// beside the wall time, the process's CPU time per op (cpu-ns/op): on a
// machine shared with other work the wall time also counts the waits for a
// core, the CPU time much less so.
func CPULoop(b *testing.B, body func(i int)) {
	b.Helper()
	start := cpuTime(b)
	i := 0
	for b.Loop() {
		body(i)
		i++
	}
	if i > 0 {
		b.ReportMetric(float64(cpuTime(b)-start)/float64(i), "cpu-ns/op")
	}
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// SideBySide puts two images next to each other on one canvas (a frame
// with two faces).
func SideBySide(a, b image.Image) image.Image {
	ab, bb := a.Bounds(), b.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, ab.Dx()+bb.Dx(), max(ab.Dy(), bb.Dy())))
	draw.Draw(out, image.Rect(0, 0, ab.Dx(), ab.Dy()), a, ab.Min, draw.Src)
	draw.Draw(out, image.Rect(ab.Dx(), 0, ab.Dx()+bb.Dx(), bb.Dy()), b, bb.Min, draw.Src)
	return out
}

// ScaledFace is img, which holds one face, scaled so that e finds that
// face [lo, hi) pixels wide in seen(scaled) — how a stage will see it, say
// through a JPEG; nil: as it is. It fails t when no scale does.
func ScaledFace(t testing.TB, e *face.Engine, img image.Image, lo, hi float64, seen func(image.Image) image.Image) image.Image {
	t.Helper()
	if seen == nil {
		seen = func(img image.Image) image.Image { return img }
	}
	faces, err := e.Detect(face.Prepare(img))
	if err != nil || len(faces) != 1 {
		t.Fatalf("Detect: %d faces, %v", len(faces), err)
	}
	w := faces[0].Box.Width()
	for s := (lo + hi) / 2 / w; s < 1.2*hi/w; s += 0.005 {
		scaled := image.Image(synth.Scale(img, s))
		if faces, err := e.Detect(face.Prepare(seen(scaled))); err == nil && len(faces) == 1 &&
			faces[0].Box.Width() >= lo && faces[0].Box.Width() < hi {
			return scaled
		}
	}
	t.Fatalf("no scale of the photo shows a face %v to %v pixels wide", lo, hi)
	return nil
}
