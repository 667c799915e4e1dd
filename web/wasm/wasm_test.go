package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/idv-oss/idv/document/framecheck"
	"github.com/idv-oss/idv/document/framecheck/framechecktest"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/document/quality"
	"github.com/idv-oss/idv/face/presence"
	"github.com/idv-oss/idv/face/presence/presencetest"
)

// committed is where build.sh leaves the module that producers/capturepage
// embeds.
var committed = filepath.Join("..", "..", "producers", "capturepage", "wasm")

// node skips the test when node is missing (fails with
// IDV_REQUIRE_BROWSER=1, which go tool task test sets).
func node(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		const msg = `the WebAssembly checks run under node, which is not on PATH: eval "$(bash scripts/browser.sh)" or install Node.js 18 or later`
		if os.Getenv("IDV_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// built is build.sh's output in a temporary directory, built once for the
// tests that need it and removed by TestMain.
var (
	builtDir string
	built    = sync.OnceValues(func() (string, error) {
		var err error
		if builtDir, err = os.MkdirTemp("", "idv-wasm-"); err != nil {
			return "", err
		}
		if out, err := exec.Command("bash", "build.sh", "--no-brotli", builtDir).CombinedOutput(); err != nil {
			return "", fmt.Errorf("build.sh: %w\n%s", err, out)
		}
		return builtDir, nil
	})
)

func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

// build returns the directory build.sh built the module into.
func build(t testing.TB) string {
	t.Helper()
	dir, err := built()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// call is one call of idvCheckDocument, or of idvCheckFace (Fn, with the
// oval in Args), the harness makes (harness.cjs).
type call struct {
	Name   string `json:"name"`
	Fn     string `json:"fn,omitempty"`
	Width  any    `json:"width"`
	Height any    `json:"height"`
	Path   string `json:"path,omitempty"`
	Bytes  *int   `json:"bytes,omitempty"`
	RGBA   any    `json:"rgba,omitempty"`
	Args   []any  `json:"args,omitempty"`
}

// answer is what the harness reports of a call.
type answer struct {
	Name      string         `json:"name"`
	Answer    map[string]any `json:"answer"`
	MsPerCall float64        `json:"ms_per_call"`
}

// run makes the calls, repeat times each, with the module (gzipped) and
// glue in dir.
func run(t testing.TB, dir string, repeat int, calls []call) (startupMs float64, answers []answer) {
	t.Helper()
	job, err := json.Marshal(map[string]any{"repeat": repeat, "calls": calls})
	if err != nil {
		t.Fatal(err)
	}
	jobPath := filepath.Join(t.TempDir(), "job.json")
	if err := os.WriteFile(jobPath, job, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "harness.cjs", filepath.Join(dir, "wasm_exec.js"), filepath.Join(dir, "check.wasm.gz"), jobPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node harness.cjs: %v\n%s", err, stderr.Bytes())
	}
	var res struct {
		StartupMs float64  `json:"startup_ms"`
		Results   []answer `json:"results"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("harness output %q: %v", out, err)
	}
	if len(res.Results) != len(calls) {
		t.Fatalf("%d answers to %d calls", len(res.Results), len(calls))
	}
	return res.StartupMs, res.Results
}

// frameCalls writes the vectors' frames as raw RGBA files for the harness.
func frameCalls(t testing.TB, vs []framechecktest.Vector) []call {
	t.Helper()
	calls := make([]call, len(vs))
	for i, v := range vs {
		calls[i] = frameCall(t, v.Name, v.Frame)
	}
	return calls
}

// faceCalls are frameCalls of idvCheckFace, with each vector's oval.
func faceCalls(t testing.TB, vs []presencetest.Vector) []call {
	t.Helper()
	calls := make([]call, len(vs))
	for i, v := range vs {
		calls[i] = frameCall(t, v.Name, v.Frame)
		calls[i].Fn, calls[i].Args = "idvCheckFace", []any{v.Oval.X, v.Oval.Y, v.Oval.W, v.Oval.H}
	}
	return calls
}

// frameCall writes frame as a raw RGBA file for the harness and returns a
// call of idvCheckDocument on it.
func frameCall(t testing.TB, name string, frame *image.NRGBA) call {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "*.rgba")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(frame.Pix); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	b := frame.Bounds()
	return call{Name: name, Width: b.Dx(), Height: b.Dy(), Path: f.Name()}
}

// asJSON is v as encoding/json decodes it into any: the form the
// harness's answers come in.
func asJSON(t testing.TB, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestWasmAgrees: the module build.sh builds now, and the one committed
// for producers/capturepage to serve (both gzipped, decompressed by the
// harness), answer every vector exactly as the Go code answers natively
// (every measure and box to the last bit), with the vector's verdict: the
// document vectors (framechecktest) without anything printed on the card,
// and the face vectors (presencetest), those made from the test photos
// only when IDV_TEST_IMAGES names them (facetest.Photo).
func TestWasmAgrees(t *testing.T) {
	node(t)
	t.Parallel()
	for name, dir := range map[string]string{"built now": build(t), "committed": committed} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			t.Run("document", func(t *testing.T) {
				t.Parallel()
				agreeDocument(t, dir)
			})
			t.Run("face", func(t *testing.T) {
				t.Parallel()
				agreeFace(t, dir, presencetest.Empty(t))
			})
			t.Run("face photos", func(t *testing.T) {
				t.Parallel()
				agreeFace(t, dir, presencetest.Photos(t))
			})
		})
	}
}

// agreeDocument: idvCheckDocument in the module in dir answers the
// document vectors as framecheck does.
func agreeDocument(t *testing.T, dir string) {
	reader, err := ocrb.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	c := framecheck.New(reader, framecheck.Config{Gates: true})
	vs := framechecktest.Vectors(t)
	_, answers := run(t, dir, 1, frameCalls(t, vs))
	for i, v := range vs {
		native := c.Check(framechecktest.Day, v.Frame)
		want, got := asJSON(t, native.Value()), answers[i].Answer
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: wasm answered %v\nnatively %v", v.Name, got, want)
		}
		if !slices.Equal(native.Reasons, v.Reasons) || native.MRZ != v.MRZ {
			t.Errorf("%s: %q, %+v; want %q, %+v", v.Name, native.Reasons, native.MRZ, v.Reasons, v.MRZ)
		}
		framechecktest.AssertNothingPrinted(t, got, v.Printed)
	}
}

// agreeFace: idvCheckFace in the module in dir answers the face vectors
// vs as presence does.
func agreeFace(t *testing.T, dir string, vs []presencetest.Vector) {
	d, err := presence.New()
	if err != nil {
		t.Fatal(err)
	}
	_, answers := run(t, dir, 1, faceCalls(t, vs))
	for i, v := range vs {
		native, err := d.Check(v.Frame, v.Oval)
		if err != nil {
			t.Fatal(err)
		}
		want, got := asJSON(t, native.Value()), answers[i].Answer
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: wasm answered %v\nnatively %v", v.Name, got, want)
		}
		if len(native.Faces) != v.Faces || !slices.Equal(native.Reasons, v.Reasons) {
			t.Errorf("%s: %d faces, %q; want %d, %q", v.Name, len(native.Faces), native.Reasons, v.Faces, v.Reasons)
		}
	}
}

// TestWasmRefusesBadCalls: arguments that are not a frame get {error},
// and the module goes on answering the next call.
func TestWasmRefusesBadCalls(t *testing.T) {
	node(t)
	t.Parallel()
	n := func(v int) *int { return &v }
	calls := []call{
		{Name: "too few bytes", Width: 1280, Height: 720, Bytes: n(12)},
		{Name: "no pixels", Width: 0, Height: 720, Bytes: n(0)},
		{Name: "fractional width", Width: 2.5, Height: 2, Bytes: n(20)},
		{Name: "width as text", Width: "2", Height: 2, Bytes: n(16)},
		{Name: "pixels as text", Width: 2, Height: 2, RGBA: "rgba"},
		{Name: "pixels as an array", Width: 1, Height: 1, RGBA: []int{0, 0, 0, 255}},
		{Name: "too many pixels", Width: 6000, Height: 5000, Bytes: n(16)},
		{Name: "a blank frame after them", Width: 64, Height: 48, Bytes: n(64 * 48 * 4)},
	}
	_, answers := run(t, build(t), 1, calls)
	for _, a := range answers[:len(answers)-1] {
		if msg, _ := a.Answer["error"].(string); !strings.Contains(msg, "idvCheckDocument") && !strings.Contains(msg, "framecheck") {
			t.Errorf("%s: answered %v, want {error}", a.Name, a.Answer)
		}
	}
	last := answers[len(answers)-1]
	if reasons, _ := last.Answer["reasons"].([]any); len(reasons) == 0 || reasons[0] != quality.ReasonLowResolution {
		t.Errorf("%s: answered %v, want %s", last.Name, last.Answer, quality.ReasonLowResolution)
	}
}

// TestWasmRefusesBadFaceCalls: idvCheckFace's arguments that are not a
// frame and an oval get {error}, and the module goes on answering the
// next call.
func TestWasmRefusesBadFaceCalls(t *testing.T) {
	node(t)
	t.Parallel()
	n := func(v int) *int { return &v }
	oval := []any{0.25, 0.08, 0.5, 0.84}
	face := func(name string, w, h any, bytes *int, args ...any) call {
		return call{Name: name, Fn: "idvCheckFace", Width: w, Height: h, Bytes: bytes, Args: args}
	}
	text := face("pixels as text", 2, 2, nil, oval...)
	text.RGBA = "rgba"
	calls := []call{
		face("no oval", 64, 48, n(64*48*4)),
		face("three sides of an oval", 64, 48, n(64*48*4), 0.25, 0.08, 0.5),
		face("an oval too many", 64, 48, n(64*48*4), 0.25, 0.08, 0.5, 0.84, 1),
		face("oval as text", 64, 48, n(64*48*4), "0.25", 0.08, 0.5, 0.84),
		face("oval without width", 64, 48, n(64*48*4), 0.25, 0.08, 0, 0.84),
		face("oval of negative height", 64, 48, n(64*48*4), 0.25, 0.08, 0.5, -0.84),
		face("too few bytes", 1280, 720, n(12), oval...),
		face("fractional width", 2.5, 2, n(20), oval...),
		text,
		face("too many pixels", 6000, 5000, n(16), oval...),
		face("a blank frame after them", 64, 48, n(64*48*4), oval...),
	}
	_, answers := run(t, build(t), 1, calls)
	for _, a := range answers[:len(answers)-1] {
		if msg, _ := a.Answer["error"].(string); !strings.Contains(msg, "idvCheckFace") && !strings.Contains(msg, "presence") && !strings.Contains(msg, "framecheck") {
			t.Errorf("%s: answered %v, want {error}", a.Name, a.Answer)
		}
	}
	last := answers[len(answers)-1]
	if want := asJSON(t, map[string]any{"faces": 0, "reasons": []any{presence.ReasonNoFaceSelfie}, "box": nil}); !reflect.DeepEqual(last.Answer, want) {
		t.Errorf("%s: answered %v, want %v", last.Name, last.Answer, want)
	}
}

// TestCommittedWasmUpToDate: what build.sh builds now is byte for byte
// what is committed for producers/capturepage, when this is the toolchain
// that built it (another Go version gives other bytes; TestWasmAgrees
// still checks the committed module's answers): the module, decompressed,
// then its gzipped bytes (the same for the same module and toolchain),
// and the glue. The raw module is not committed beside them.
func TestCommittedWasmUpToDate(t *testing.T) {
	t.Parallel()
	dir := build(t)
	read := func(dir, name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if built, kept := read(dir, "toolchain.txt"), read(committed, "toolchain.txt"); !bytes.Equal(built, kept) {
		t.Skipf("the committed module was built by %s, this toolchain is %s: rebuild with bash web/wasm/build.sh to compare",
			bytes.TrimSpace(kept), bytes.TrimSpace(built))
	}
	built, kept := read(dir, "check.wasm.gz"), read(committed, "check.wasm.gz")
	if !bytes.Equal(gunzip(t, built), gunzip(t, kept)) {
		t.Errorf("%s/check.wasm.gz holds a stale module: run bash web/wasm/build.sh and commit it", committed)
	} else if !bytes.Equal(built, kept) {
		t.Errorf("%s/check.wasm.gz holds the module as built, gzipped otherwise than build.sh does: run it and commit its output", committed)
	}
	if !bytes.Equal(read(dir, "wasm_exec.js"), read(committed, "wasm_exec.js")) {
		t.Errorf("%s/wasm_exec.js is stale: run bash web/wasm/build.sh and commit it", committed)
	}
	if _, err := os.Stat(filepath.Join(committed, "check.wasm")); !os.IsNotExist(err) {
		t.Errorf("%s/check.wasm: %v; want none: only the gzipped module is kept", committed, err)
	}
}

// gunzip is b decompressed.
func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	z, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// BenchmarkCheckWasm times idvCheckDocument under Node on the 1280×720
// frame of BenchmarkCheck (document/framecheck), copying the frame in
// included: its ns/op is the harness's own clock per call, without Node's
// start; startup-ms is decompressing and instantiating the module and
// building the reader.
func BenchmarkCheckWasm(b *testing.B) {
	node(b)
	dir := build(b)
	frame := framechecktest.HD(b)
	calls := frameCalls(b, []framechecktest.Vector{{Name: "1280×720", Frame: frame}})
	startup, answers := run(b, dir, b.N, calls)
	if mrz, _ := answers[0].Answer["mrz"].(map[string]any); mrz["parsed"] != true {
		b.Fatalf("the frame's MRZ did not read: %v", answers[0].Answer)
	}
	b.ReportMetric(answers[0].MsPerCall*1e6, "ns/op")
	b.ReportMetric(startup, "startup-ms")
}

// BenchmarkCheckFaceWasm times idvCheckFace under Node on the 640×480
// and 1280×720 frames of BenchmarkCheck (face/presence), copying the
// frame in included, as BenchmarkCheckWasm times idvCheckDocument.
func BenchmarkCheckFaceWasm(b *testing.B) {
	node(b)
	dir := build(b)
	for _, v := range presencetest.Bench(b) {
		b.Run(v.Name, func(b *testing.B) {
			startup, answers := run(b, dir, b.N, faceCalls(b, []presencetest.Vector{v}))
			if reasons, _ := answers[0].Answer["reasons"].([]any); reasons == nil || len(reasons) != 0 {
				b.Fatalf("the frame does not pass: %v", answers[0].Answer)
			}
			b.ReportMetric(answers[0].MsPerCall*1e6, "ns/op")
			b.ReportMetric(startup, "startup-ms")
		})
	}
}
