// Package face is the face engine shared by the facematch and liveness
// stages: detection, 68-point landmarks, five-point alignment and 512-d
// embeddings, run by ONNX Runtime through github.com/yalue/onnxruntime_go.
//
// Nothing here is needed at build time: the ONNX Runtime library and the
// models are installed by scripts/face-models.sh (pinned npm tarballs) and
// loaded by Open at run time, after each file's SHA-256 has been checked
// against the sums pinned in models.go. Without them Open returns an
// *UnavailableError (errors.Is ErrUnavailable) that names what is missing, so
// the service can say at start-up which stages cannot run.
//
// An Engine is safe for concurrent use. Each model gets one ONNX Runtime
// session with a single intra-op thread: on small machines ORT's spinning
// thread pools cost more than they give, and the service scales by running
// stages side by side instead.
package face

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// engineVersion names this package's pre- and post-processing; bump it
// whenever a change could move a score, so that results stay comparable.
const engineVersion = "idv-face/1"

// Config tunes an Engine. The zero value is the default.
type Config struct {
	// Library is the ONNX Runtime shared library. Empty means
	// <dir>/lib/libonnxruntime.so.1, which must be the pinned 1.30.0 build;
	// a library named here is not hash-checked but must serve C API 24
	// (ONNX Runtime 1.24 or later).
	Library string
	// Models are the models to load, by name (Detector, Landmarker, …).
	// Empty means all six. A stage that needs fewer can open fewer.
	Models []string
	// ScoreThreshold is the detector's minimum face score (default 0.7).
	ScoreThreshold float32
	// NMSThreshold is the IoU above which a weaker overlapping detection is
	// dropped (default 0.3).
	NMSThreshold float32
}

func (c Config) withDefaults() Config {
	c.ScoreThreshold = cmp.Or(c.ScoreThreshold, 0.7)
	c.NMSThreshold = cmp.Or(c.NMSThreshold, 0.3)
	if len(c.Models) == 0 {
		for _, m := range models {
			c.Models = append(c.Models, m.name)
		}
	}
	return c
}

// Engine runs the face models. Create it with Open and release it with Close.
type Engine struct {
	cfg      Config
	version  string
	sums     map[string]string
	sessions map[string]*session
	// inputs pools each loaded model's input buffers (*[]float32), so
	// that a call fills a used buffer rather than allocating one.
	inputs map[string]*sync.Pool

	closeOnce sync.Once
	closeErr  error
}

// Open checks and loads the engine installed in dir (the directory
// scripts/face-models.sh prints, holding models/ and lib/). Every model file
// is read, hashed and, only if its SHA-256 is the pinned one, handed to ONNX
// Runtime from the same bytes. On failure the error is an *UnavailableError
// listing every problem found, not just the first.
func Open(dir string, cfg Config) (*Engine, error) {
	cfg = cfg.withDefaults()
	if cfg.ScoreThreshold < 0 || cfg.ScoreThreshold >= 1 || cfg.NMSThreshold < 0 || cfg.NMSThreshold > 1 {
		return nil, fmt.Errorf("face: thresholds out of range: score %v, nms %v", cfg.ScoreThreshold, cfg.NMSThreshold)
	}
	want := make([]model, 0, len(cfg.Models))
	for _, name := range cfg.Models {
		m, ok := lookup(name)
		if !ok {
			return nil, fmt.Errorf("face: unknown model %q", name)
		}
		want = append(want, m)
	}

	ue := &UnavailableError{Dir: dir}
	if dir == "" {
		ue.Dir = "(not set)"
	}

	// Read and verify the models first, so the error names every bad
	// file even when the library is missing too.
	data := make(map[string][]byte, len(want))
	for _, m := range want {
		b, err := readVerified(filepath.Join(dir, m.file), m.sha256)
		if err != nil {
			ue.model(m.name, err.Error())
			ue.integrity = ue.integrity || errors.Is(err, ErrIntegrity)
			continue
		}
		data[m.name] = b
	}

	lib := cfg.Library
	if lib == "" {
		lib = filepath.Join(dir, libraryFile)
		if _, err := readVerified(lib, librarySHA256); err != nil {
			ue.Library = err.Error()
			ue.integrity = ue.integrity || errors.Is(err, ErrIntegrity)
			return nil, ue
		}
	} else if _, err := os.Stat(lib); err != nil {
		ue.Library = missing(err)
		return nil, ue
	}
	abs, err := filepath.Abs(lib)
	if err == nil {
		lib = abs
	}
	version, err := acquireRuntime(lib)
	if err != nil {
		ue.Library = err.Error()
		return nil, ue
	}
	if cfg.Library == "" && version != libraryVersion {
		_ = releaseRuntime()
		ue.Library = fmt.Sprintf("%s reports ONNX Runtime %s, pinned %s", lib, version, libraryVersion)
		return nil, ue
	}

	e := &Engine{
		cfg:      cfg,
		version:  fmt.Sprintf("%s onnxruntime/%s", engineVersion, version),
		sums:     make(map[string]string, len(data)),
		sessions: make(map[string]*session, len(data)),
		inputs:   make(map[string]*sync.Pool, len(data)),
	}
	for _, m := range want {
		b, ok := data[m.name]
		if !ok {
			continue
		}
		s, err := newSession(m, b)
		if err != nil {
			ue.model(m.name, err.Error())
			continue
		}
		e.sessions[m.name] = s
		e.sums[m.name] = m.sha256
		e.inputs[m.name] = newInputPool(m)
	}
	if !ue.empty() {
		_ = e.Close()
		return nil, ue
	}
	return e, nil
}

// run feeds one float input to model name and returns its outputs' data in
// the order of the model table.
func (e *Engine) run(name string, input []float32) ([][]float32, error) {
	s, ok := e.sessions[name]
	if !ok {
		return nil, fmt.Errorf("face: model %s not loaded: %w", name, ErrUnavailable)
	}
	out, err := s.run(input)
	if err != nil {
		return nil, fmt.Errorf("face: run %s: %w", name, err)
	}
	return out, nil
}

// infer runs model name on an input that fill writes in full, in a buffer
// from the model's pool. The buffer goes back to the pool once the run
// returns: ONNX Runtime reads it only during Run, and the outputs are
// buffers of their own.
func (e *Engine) infer(name string, fill func(in []float32)) ([][]float32, error) {
	pool, ok := e.inputs[name]
	if !ok {
		return nil, fmt.Errorf("face: model %s not loaded: %w", name, ErrUnavailable)
	}
	buf := pool.Get().(*[]float32)
	defer pool.Put(buf)
	fill(*buf)
	return e.run(name, *buf)
}

// newInputPool pools input buffers the size of m's input.
func newInputPool(m model) *sync.Pool {
	n := inputSize(m)
	return &sync.Pool{New: func() any {
		b := make([]float32, n)
		return &b
	}}
}

// inputSize is how many values m's input holds.
func inputSize(m model) int64 {
	n := int64(1)
	for _, d := range m.inputs[0].shape {
		n *= d
	}
	return n
}

// Models returns the SHA-256 of every loaded model file by model name, for
// recording with each result.
func (e *Engine) Models() map[string]string {
	out := make(map[string]string, len(e.sums))
	for k, v := range e.sums {
		out[k] = v
	}
	return out
}

// Version names the engine's processing and the ONNX Runtime it runs on,
// e.g. "idv-face/1 onnxruntime/1.30.0", for recording with each result.
func (e *Engine) Version() string { return e.version }

// Setup names everything that decides what the named models give on e: the
// engine's version, the detector's thresholds and each model's SHA-256.
// Two engines with the same Setup of the models a computation runs give it
// the same results for the same image, so that its result may be shared
// between them (face/selfie); a model e has not loaded is named with no sum.
func (e *Engine) Setup(models ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s score=%g nms=%g", e.version, e.cfg.ScoreThreshold, e.cfg.NMSThreshold)
	for _, m := range models {
		fmt.Fprintf(&b, " %s=%s", m, e.sums[m])
	}
	return b.String()
}

// Close releases the sessions and, with the last engine in the process, the
// ONNX Runtime library. It is safe to call more than once.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		var errs []error
		for _, s := range e.sessions {
			if err := s.destroy(); err != nil {
				errs = append(errs, err)
			}
		}
		errs = append(errs, releaseRuntime())
		e.closeErr = errors.Join(errs...)
	})
	return e.closeErr
}

func lookup(name string) (model, bool) {
	for _, m := range models {
		if m.name == name {
			return m, true
		}
	}
	return model{}, false
}

// readVerified reads a whole file and returns it only if its SHA-256 is want.
func readVerified(path, want string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.New(missing(err))
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != want {
		return nil, fmt.Errorf("%s: %w: sha256 %s, pinned %s", path, ErrIntegrity, got, want)
	}
	return b, nil
}

func missing(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) && errors.Is(err, fs.ErrNotExist) {
		return pe.Path + " not found"
	}
	return err.Error()
}

// sumsFile renders the pinned sums in sha256sum(1) format, as in SHA256SUMS.
func sumsFile() []byte {
	lines := []string{librarySHA256 + "  " + libraryFile}
	for _, m := range models {
		lines = append(lines, m.sha256+"  "+m.file)
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i][66:] < lines[j][66:] })
	var b bytes.Buffer
	b.WriteString(strings.Join(lines, "\n"))
	b.WriteByte('\n')
	return b.Bytes()
}

// Warm runs every loaded model once on zeros, so that ONNX Runtime's
// first-run allocations happen at start-up rather than in the first
// verification (which measured 3–4 s instead of 0.25 s).
func (e *Engine) Warm() error {
	for name, s := range e.sessions {
		if _, err := e.run(name, make([]float32, inputSize(s.model))); err != nil {
			return fmt.Errorf("face: warm %s: %w", name, err)
		}
	}
	return nil
}
