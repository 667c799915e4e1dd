package face

import "runtime"

// mxcsrFlushToZero are the SSE control register's bits FTZ (bit 15: results
// too small for a normal float become zero) and DAZ (bit 6: such inputs
// read as zero).
const mxcsrFlushToZero = 1<<15 | 1<<6

// withoutDenormals runs f, an ONNX Runtime call, with subnormal floats
// flushed to zero on the thread that runs it. On some x86 cores every
// arithmetic step on a subnormal float takes a microcode assist of about a
// hundred cycles: the feature model's run took 70 ms instead of 6.6 on the
// 2-core machine of 2026-12-07 (BenchmarkModel/fr_feature), its
// activations passing through subnormal values. ONNX Runtime's own
// session.set_denormal_as_zero sets the bits only on its pool threads and
// on the thread that makes the first session, which for Go is not the
// thread that calls Run. The goroutine holds its thread for the call so
// that no other goroutine runs with the bits set, and puts the register
// back before it lets go.
func withoutDenormals(f func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	old := getMXCSR()
	setMXCSR(old | mxcsrFlushToZero)
	defer setMXCSR(old)
	return f()
}

// getMXCSR reads this thread's SSE control and status register.
func getMXCSR() uint32

// setMXCSR writes this thread's SSE control and status register.
func setMXCSR(v uint32)
