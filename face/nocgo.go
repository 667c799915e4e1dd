//go:build !cgo

package face

import "errors"

// Without cgo there is no way to load ONNX Runtime: the package still
// builds (so a CGO_ENABLED=0 binary of the service builds too) and Open
// reports the engine unavailable.

// haveRuntime reports whether this build can load ONNX Runtime at all.
const haveRuntime = false

var errNoCgo = errors.New("built without cgo (CGO_ENABLED=0): ONNX Runtime cannot be loaded")

type session struct{ model }

func acquireRuntime(string) (string, error) { return "", errNoCgo }

func releaseRuntime() error { return nil }

func newSession(model, []byte) (*session, error) { return nil, errNoCgo }

func (*session) run([]float32) ([][]float32, error) { return nil, errNoCgo }

func (*session) destroy() error { return nil }
