package face

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// installDir is the directory scripts/face-models.sh prints; tests that need
// the ONNX Runtime library and the models skip without it.
func installDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("IDV_FACE_DIR")
	if dir == "" {
		skipOrFail(t, `IDV_FACE_DIR not set: run IDV_FACE_DIR="$(scripts/face-models.sh)" go test ./face`)
	}
	if !haveRuntime {
		skipOrFail(t, "built without cgo: ONNX Runtime cannot be loaded")
	}
	return dir
}

// skipOrFail skips a test that lacks the models or photos, unless
// IDV_REQUIRE_FACE is set (as `go tool task test` does): then it fails.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("IDV_REQUIRE_FACE") != "" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// setup opens the installed engine for one test.
func setup(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := Open(installDir(t), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e
}

func TestSumsFileMatchesTable(t *testing.T) {
	got, err := os.ReadFile("SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	if want := sumsFile(); !bytes.Equal(got, want) {
		t.Fatalf("SHA256SUMS differs from models.go; want:\n%s", want)
	}
}

func TestOpenEmptyDirNamesEverythingMissing(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(dir, Config{})
	var ue *UnavailableError
	if !errors.As(err, &ue) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open(empty dir) = %v, want *UnavailableError", err)
	}
	if errors.Is(err, ErrIntegrity) {
		t.Errorf("missing files reported as tampered: %v", err)
	}
	if !strings.Contains(ue.Library, "libonnxruntime.so.1 not found") {
		t.Errorf("Library = %q, want it to name the missing library", ue.Library)
	}
	for _, m := range models {
		if !strings.Contains(ue.Models[m.name], m.file+" not found") {
			t.Errorf("Models[%s] = %q, want it to name %s", m.name, ue.Models[m.name], m.file)
		}
	}
	if ue.Runs(Detector) {
		t.Error("Runs(Detector) = true without a library")
	}
	if !strings.Contains(err.Error(), "scripts/face-models.sh") {
		t.Errorf("error %q does not say how to install", err)
	}
}

func TestOpenExplicitLibraryMissing(t *testing.T) {
	_, err := Open(t.TempDir(), Config{Library: filepath.Join(t.TempDir(), "nope.so"), Models: []string{Detector}})
	var ue *UnavailableError
	if !errors.As(err, &ue) || !strings.Contains(ue.Library, "nope.so not found") {
		t.Fatalf("Open = %v, want the missing library named", err)
	}
}

func TestOpenUnknownModel(t *testing.T) {
	if _, err := Open(t.TempDir(), Config{Models: []string{"fr_age"}}); err == nil || errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open(unknown model) = %v, want a configuration error", err)
	}
}

func TestOpenVerifiesModels(t *testing.T) {
	e := setup(t, Config{})
	got := e.Models()
	if len(got) != len(models) {
		t.Fatalf("Models() has %d entries, want %d", len(got), len(models))
	}
	for _, m := range models {
		if got[m.name] != m.sha256 {
			t.Errorf("Models()[%s] = %q, want %s", m.name, got[m.name], m.sha256)
		}
	}
	if v := e.Version(); v != engineVersion+" onnxruntime/"+libraryVersion {
		t.Errorf("Version() = %q", v)
	}
	t.Logf("version %s", e.Version())
}

// tamperedCopy copies the installed models into a new directory, links the
// library, and flips one byte of model name.
func tamperedCopy(t *testing.T, src, name string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"models", "lib"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(src, libraryFile), filepath.Join(dir, libraryFile)); err != nil {
		t.Fatal(err)
	}
	for _, m := range models {
		b, err := os.ReadFile(filepath.Join(src, m.file))
		if err != nil {
			t.Fatal(err)
		}
		if m.name == name {
			b[len(b)/2] ^= 0x01
		}
		if err := os.WriteFile(filepath.Join(dir, m.file), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestOpenRefusesTamperedModel(t *testing.T) {
	dir := tamperedCopy(t, installDir(t), Feature)
	e, err := Open(dir, Config{})
	if err == nil {
		e.Close()
		t.Fatal("Open accepted a tampered fr_feature.onnx")
	}
	var ue *UnavailableError
	if !errors.As(err, &ue) || !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrIntegrity) {
		t.Fatalf("Open = %v, want an *UnavailableError matching ErrUnavailable and ErrIntegrity", err)
	}
	if ue.Library != "" || len(ue.Models) != 1 || !strings.Contains(ue.Models[Feature], "checksum mismatch") {
		t.Fatalf("Open = %v, want only fr_feature refused for its checksum", err)
	}
	if !ue.Runs(Detector, Landmarker) || ue.Runs(Detector, Feature) {
		t.Errorf("Runs does not single out fr_feature: %v", err)
	}
	t.Logf("refused: %v", err)

	// A stage that needs only the intact models still opens.
	e, err = Open(dir, Config{Models: []string{Detector, Landmarker}})
	if err != nil {
		t.Fatalf("Open(detector, landmarker) beside a tampered fr_feature: %v", err)
	}
	defer e.Close()
	if _, err := e.Embed(astronaut(t), Face{Box: Box{180, 62, 268, 174}}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Embed without fr_feature = %v, want ErrUnavailable", err)
	}
}

func TestEnginesShareRuntime(t *testing.T) {
	a := setup(t, Config{Models: []string{Detector}})
	b := setup(t, Config{Models: []string{Detector}})
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// b must still run after a released its share of the runtime.
	if _, err := b.Detect(astronaut(t)); err != nil {
		t.Fatalf("Detect after the other engine closed: %v", err)
	}
	other := filepath.Join(t.TempDir(), "other.so")
	if err := os.Symlink(filepath.Join(installDir(t), libraryFile), other); err != nil {
		t.Fatal(err)
	}
	_, err := Open(installDir(t), Config{Library: other, Models: []string{Detector}})
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "already loaded") {
		t.Fatalf("Open with a second library while one is loaded = %v", err)
	}
}

func TestEngineConcurrentUse(t *testing.T) {
	e := setup(t, Config{})
	img := astronaut(t)
	faces, err := e.Detect(img)
	if err != nil || len(faces) != 1 {
		t.Fatalf("Detect = %v, %v", faces, err)
	}
	want, err := e.Embed(img, faces[0])
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			got, err := e.Embed(img, faces[0])
			if err == nil && Cosine(got, want) < 0.9999 {
				err = errors.New("concurrent Embed differs")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
