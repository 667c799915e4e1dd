package loadgen

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestMachineUse: /proc/stat's cpu line and core count give the share of
// the cores' time busy, the CPU per item and the rate the cores allow at
// that cost; text without them is an error.
func TestMachineUse(t *testing.T) {
	stat := func(user, idle int) string {
		return "cpu  " + strconv.Itoa(user) + " 0 100 " + strconv.Itoa(idle) + " 50 0 0 0 0 0\n" +
			"cpu0 1 2 3 4 5 6 7 8 0 0\ncpu1 1 2 3 4 5 6 7 8 0 0\nintr 1 2\nctxt 5\n"
	}
	m0, err := parseProcStat(stat(1000, 5000))
	if err != nil {
		t.Fatal(err)
	}
	// 10 s of two cores: 15 s busy (1,500 ticks of user), 5 s idle.
	m1, err := parseProcStat(stat(2500, 5500))
	if err != nil {
		t.Fatal(err)
	}
	u := m0.use(m1, 300, 27)
	if u.cores != 2 || !near(u.busy, 0.75) || !near(u.perItem, 0.05) || !near(u.bound, 40) {
		t.Fatalf("use %+v, want 2 cores 75 %% busy, 0.05 s per item, 40/s allowed", u)
	}
	var out bytes.Buffer
	u.print(&out, "wipe")
	want := "machine: 2 cores 75 % busy (every process: 50.0 ms of CPU per wipe); at that cost they allow 40.0/s, this run 27.0/s = 68 %\n"
	if out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
	for _, bad := range []string{"", "intr 1 2\n", "cpu 1 2 3\ncpu0 1\n", "cpu a b c d e f g h\ncpu0 1\n", "cpu 1 2 3 4 5 6 7 8\n"} {
		if _, err := parseProcStat(bad); err == nil {
			t.Errorf("parsed %q without an error", strings.TrimSpace(bad))
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
