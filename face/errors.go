package face

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrUnavailable means the engine, or one of its models, cannot run here:
// the ONNX Runtime library or a model file is missing, unloadable, too old or
// not the pinned one. Callers use it to say at start-up which stages cannot run.
var ErrUnavailable = errors.New("face engine unavailable")

// ErrIntegrity means a file's SHA-256 differs from the sum pinned in this
// package: the file was tampered with or replaced. It always comes with
// ErrUnavailable.
var ErrIntegrity = errors.New("checksum mismatch")

// ErrNoFace is returned by Landmarks and Embed for a face whose box does not
// overlap the image.
var ErrNoFace = errors.New("face box outside the image")

// UnavailableError lists everything Open found wrong, so that a caller can
// tell which of its stages cannot run (each stage knows the models it needs).
// errors.Is matches it against ErrUnavailable, and against ErrIntegrity when
// any file failed its checksum.
type UnavailableError struct {
	// Library is why the ONNX Runtime library cannot be used; empty if it can.
	// When it is set no model can run.
	Library string
	// Models maps a model name (e.g. "fr_detect") to why it cannot be loaded.
	Models map[string]string
	// Dir is the install directory that was tried.
	Dir string

	integrity bool
}

// Runs reports whether every named model is usable despite the error.
func (e *UnavailableError) Runs(models ...string) bool {
	if e.Library != "" {
		return false
	}
	for _, m := range models {
		if _, bad := e.Models[m]; bad {
			return false
		}
	}
	return true
}

func (e *UnavailableError) Error() string {
	var b strings.Builder
	b.WriteString("face: engine unavailable")
	if e.Library != "" {
		fmt.Fprintf(&b, "; ONNX Runtime library: %s", e.Library)
	}
	names := make([]string, 0, len(e.Models))
	for n := range e.Models {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "; model %s: %s", n, e.Models[n])
	}
	if e.Dir != "" {
		fmt.Fprintf(&b, " (install dir %s; run scripts/face-models.sh)", e.Dir)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrUnavailable) and, for checksum failures,
// errors.Is(err, ErrIntegrity) hold.
func (e *UnavailableError) Is(target error) bool {
	return target == ErrUnavailable || (target == ErrIntegrity && e.integrity)
}

func (e *UnavailableError) empty() bool { return e.Library == "" && len(e.Models) == 0 }

func (e *UnavailableError) model(name, reason string) {
	if e.Models == nil {
		e.Models = make(map[string]string)
	}
	e.Models[name] = reason
}
