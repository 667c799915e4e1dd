//go:build cgo

package face

import (
	"errors"
	"fmt"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// haveRuntime reports whether this build can load ONNX Runtime at all.
const haveRuntime = true

// env is ONNX Runtime's environment, which onnxruntime_go keeps once per
// process: every Engine in the process shares it, the first Open loads the
// library and the last Close unloads it. This is the only package-level state
// and it mirrors the library's own.
var env struct {
	sync.Mutex
	refs    int
	path    string
	version string
}

// acquireRuntime loads the library at path (or checks that the one already
// loaded is the same file) and returns ONNX Runtime's version string.
func acquireRuntime(path string) (string, error) {
	env.Lock()
	defer env.Unlock()
	if env.refs > 0 {
		if path != env.path {
			return "", fmt.Errorf("another engine in this process already loaded %s", env.path)
		}
		env.refs++
		return env.version, nil
	}
	if ort.IsInitialized() {
		return "", fmt.Errorf("ONNX Runtime was initialised outside this package")
	}
	ort.SetSharedLibraryPath(path)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		// onnxruntime_go reports "Error setting ORT API base: 2" when the
		// library is older than the API it was built for.
		return "", fmt.Errorf("load %s (needs ONNX Runtime C API %d or later, i.e. ORT 1.%d+): %w", path, minAPI, minAPI, err)
	}
	v := ort.GetVersion()
	if err := checkVersion(v); err != nil {
		_ = ort.DestroyEnvironment()
		return "", fmt.Errorf("%s: %w", path, err)
	}
	env.refs, env.path, env.version = 1, path, v
	return v, nil
}

func releaseRuntime() error {
	env.Lock()
	defer env.Unlock()
	if env.refs == 0 {
		return nil
	}
	env.refs--
	if env.refs > 0 {
		return nil
	}
	env.path, env.version = "", ""
	return ort.DestroyEnvironment()
}

// session is one loaded model.
type session struct {
	model
	s *ort.DynamicAdvancedSession
}

func newSession(m model, onnx []byte) (*session, error) {
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("session options: %w", err)
	}
	defer opts.Destroy()
	for _, set := range []func() error{
		func() error { return opts.SetIntraOpNumThreads(1) },
		func() error { return opts.SetInterOpNumThreads(1) },
		func() error { return opts.AddSessionConfigEntry("session.intra_op.allow_spinning", "0") },
		func() error { return opts.AddSessionConfigEntry("session.inter_op.allow_spinning", "0") },
	} {
		if err := set(); err != nil {
			return nil, fmt.Errorf("session options: %w", err)
		}
	}
	// The declared shapes must be those the engine was written for: a
	// model swapped for another with the same name would otherwise fail
	// obscurely (or worse, silently) at the first Run.
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(onnx)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	if err := sameTensors("input", m.inputs, ins); err != nil {
		return nil, err
	}
	if err := sameTensors("output", m.outputs, outs); err != nil {
		return nil, err
	}
	names := func(ts []tensor) []string {
		out := make([]string, len(ts))
		for i, t := range ts {
			out[i] = t.name
		}
		return out
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(onnx, names(m.inputs), names(m.outputs), opts)
	if err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	return &session{model: m, s: s}, nil
}

func sameTensors(kind string, want []tensor, got []ort.InputOutputInfo) error {
	if len(want) != len(got) {
		return fmt.Errorf("model declares %d %ss, want %d", len(got), kind, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Name != w.name || !g.Dimensions.Equals(ort.NewShape(w.shape...)) ||
			g.DataType != ort.TensorElementDataTypeFloat {
			return fmt.Errorf("%s %d is %s, want %q %v float", kind, i, g.String(), w.name, w.shape)
		}
	}
	return nil
}

func (s *session) run(input []float32) ([][]float32, error) {
	in, err := ort.NewTensor(ort.NewShape(s.inputs[0].shape...), input)
	if err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	defer in.Destroy()
	outs := make([]ort.Value, len(s.outputs))
	res := make([][]float32, len(s.outputs))
	for i, o := range s.outputs {
		t, err := ort.NewEmptyTensor[float32](ort.NewShape(o.shape...))
		if err != nil {
			return nil, fmt.Errorf("output: %w", err)
		}
		defer t.Destroy()
		outs[i] = t
		res[i] = t.GetData()
	}
	if err := withoutDenormals(func() error { return s.s.Run([]ort.Value{in}, outs) }); err != nil {
		return nil, err
	}
	// The tensors' data is Go memory, still held by res after Destroy
	// releases the ORT values that wrapped it.
	return res, nil
}

func (s *session) destroy() error {
	if s.s == nil {
		return errors.New("session already destroyed")
	}
	err := s.s.Destroy()
	s.s = nil
	return err
}
