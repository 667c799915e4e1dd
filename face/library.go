package face

import (
	"fmt"
	"strconv"
	"strings"
)

// library pins the ONNX Runtime shared library installed from npm
// onnxruntime-node@1.30.0 (bin/napi-v6/linux/x64/libonnxruntime.so.1).
const (
	libraryFile    = "lib/libonnxruntime.so.1"
	librarySHA256  = "ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23"
	libraryVersion = "1.30.0"
	// minAPI is the ORT C API version onnxruntime_go v1.27.0 is built
	// against (ORT_API_VERSION in its header); ORT 1.N serves API N and
	// every earlier one.
	minAPI = 24
)

// checkVersion refuses an ONNX Runtime older than the C API onnxruntime_go
// was built for. (GetApi would already have failed; this also catches a
// library that reports a version string we do not understand.)
func checkVersion(v string) error {
	parts := strings.Split(v, ".")
	if len(parts) < 2 {
		return fmt.Errorf("unrecognised ONNX Runtime version %q", v)
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return fmt.Errorf("unrecognised ONNX Runtime version %q", v)
	}
	if major != 1 || minor < minAPI {
		return fmt.Errorf("ONNX Runtime %s serves no C API %d (needs 1.%d or later)", v, minAPI, minAPI)
	}
	return nil
}
