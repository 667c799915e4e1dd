package face

import (
	"math"
	"runtime"
	"testing"
)

// TestWithoutDenormals: inside the call subnormal results are flushed to
// zero; after it the thread's register is as before and Go's floats keep
// their subnormals.
func TestWithoutDenormals(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := getMXCSR()
	var inside uint32
	var flushed float32
	err := withoutDenormals(func() error {
		inside, flushed = getMXCSR(), half(math.SmallestNonzeroFloat32*(1<<10))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if inside&mxcsrFlushToZero != mxcsrFlushToZero || flushed != 0 {
		t.Errorf("inside: register %#x, half of a subnormal %g; want bits %#x set and 0", inside, flushed, mxcsrFlushToZero)
	}
	if after := getMXCSR(); after != before {
		t.Errorf("register after the call %#x, want %#x as before", after, before)
	}
	if kept := half(math.SmallestNonzeroFloat32 * (1 << 10)); kept == 0 {
		t.Error("after the call a subnormal result is still flushed to zero")
	}
}

// half is x/2, computed at run time.
//
//go:noinline
func half(x float32) float32 { return x / 2 }
