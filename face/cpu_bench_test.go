package face

import (
	"syscall"
	"testing"
	"time"
)

// cpuLoop runs body as long as b.Loop asks and reports, beside the wall
// time, the process's CPU time per op (cpu-ns/op): on a machine shared with
// other work the wall time also counts the waits for a core, the CPU time
// much less so.
func cpuLoop(b *testing.B, body func()) {
	b.Helper()
	start := cpuTime(b)
	n := 0
	for b.Loop() {
		body()
		n++
	}
	if n > 0 {
		b.ReportMetric(float64(cpuTime(b)-start)/float64(n), "cpu-ns/op")
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
