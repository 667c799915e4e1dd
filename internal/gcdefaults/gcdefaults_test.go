package gcdefaults

import (
	"io/fs"
	"math"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

// restore puts the collector's settings back as the test found them.
func restore(t *testing.T) {
	pct, limit := inForce()
	t.Cleanup(func() {
		debug.SetGCPercent(pct)
		debug.SetMemoryLimit(limit)
	})
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestApplyDefaults(t *testing.T) {
	restore(t)
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	s := Apply(env(nil), func() (int64, bool) { return 1000 << 20, true })
	if s.Percent != Percent || !s.PercentDefault || s.Limit != 800<<20 || !s.LimitDefault {
		t.Fatalf("settings %+v; want GOGC %d and 800 MiB, both IDV's", s, Percent)
	}
	if got := debug.SetGCPercent(-1); got != Percent {
		t.Errorf("GOGC in force %d, want %d", got, Percent)
	}
	if got := debug.SetMemoryLimit(-1); got != 800<<20 {
		t.Errorf("memory limit in force %d, want %d", got, 800<<20)
	}
	if want := "GOGC 200 (IDV's default), memory limit 800 MiB (4/5 of the control group's)"; s.String() != want {
		t.Errorf("%q, want %q", s, want)
	}
}

// TestApplyLeavesTheOperatorsSettings: GOGC and GOMEMLIMIT set in the
// environment (which the runtime read at start) are left as they are, and
// without a container limit there is no memory limit.
func TestApplyLeavesTheOperatorsSettings(t *testing.T) {
	restore(t)
	debug.SetGCPercent(50) // as GOGC=50 would have
	debug.SetMemoryLimit(300 << 20)
	s := Apply(env(map[string]string{"GOGC": "50", "GOMEMLIMIT": "300MiB"}), func() (int64, bool) { return 1 << 30, true })
	if s.Percent != 50 || s.PercentDefault || s.Limit != 300<<20 || s.LimitDefault {
		t.Fatalf("settings %+v; want the environment's GOGC 50 and 300 MiB", s)
	}
	debug.SetMemoryLimit(math.MaxInt64)
	s = Apply(env(nil), func() (int64, bool) { return 0, false })
	if s.Limit != 0 || s.LimitDefault || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Errorf("without a container limit: %+v, limit in force %d", s, debug.SetMemoryLimit(-1))
	}
	if want := "GOGC 200 (IDV's default), no memory limit"; s.String() != want {
		t.Errorf("%q, want %q", s, want)
	}
	debug.SetGCPercent(-1) // as GOGC=off would have
	if s = Apply(env(map[string]string{"GOGC": "off"}), func() (int64, bool) { return 0, false }); s.String() != "GOGC off, no memory limit" {
		t.Errorf("GOGC=off: %q", s)
	}
}

// TestReadWithoutApply: a process that did not run Apply (a test) runs
// with Go's default, which Read does not call IDV's.
func TestReadWithoutApply(t *testing.T) {
	restore(t)
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	if s := Read(env(nil)); s.String() != "GOGC 100, no memory limit" {
		t.Errorf("%q", s)
	}
}

func TestParseLimit(t *testing.T) {
	for _, tc := range []struct {
		text string
		want int64
		ok   bool
	}{
		{"536870912\n", 512 << 20, true},
		{"max\n", 0, false},
		{"9223372036854771712\n", 0, false}, // v1 without a limit
		{"0", 0, false},
		{"-1", 0, false},
		{"", 0, false},
		{"12k", 0, false},
	} {
		got, ok := ParseLimit(tc.text)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseLimit(%q) = %d, %v; want %d, %v", tc.text, got, ok, tc.want, tc.ok)
		}
	}
}

// TestLimitOf: the limit of the process's own group or a parent's, the
// smallest; v2 before v1; none where every file says none or is missing.
func TestLimitOf(t *testing.T) {
	files := map[string]string{
		"/sys/fs/cgroup/memory.max":                                 "max\n",
		"/sys/fs/cgroup/system.slice/memory.max":                    "2147483648\n",
		"/sys/fs/cgroup/system.slice/idv.service/memory.max":        "max\n",
		"/sys/fs/cgroup/memory/memory.limit_in_bytes":               "9223372036854771712\n",
		"/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes":    "536870912\n",
		"/sys/fs/cgroup/memory/process_api/x/memory.limit_in_bytes": "9223372036854771712\n",
	}
	read := func(path string) (string, error) {
		if text, ok := files[path]; ok {
			return text, nil
		}
		return "", fs.ErrNotExist
	}
	for _, tc := range []struct {
		name, self string
		want       int64
		ok         bool
	}{
		{"v2, a parent's limit", "0::/system.slice/idv.service\n", 2 << 30, true},
		{"v2 in a namespace", "0::/\n", 0, false},
		{"v1 memory controller", "4:memory:/docker/abc\n3:cpuset:/\n0::/\n", 512 << 20, true},
		{"v1 with controllers joined", "4:cpu,memory:/docker/abc\n", 512 << 20, true},
		{"v1 without a limit (this machine's kind)", "4:memory:/process_api/x\n0::/\n", 0, false},
		{"nothing readable", "garbage\n1:memory:relative\n", 0, false},
		{"empty", "", 0, false},
	} {
		got, ok := limitOf(tc.self, read)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: %d, %v; want %d, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzMemoryGroups(f *testing.F) {
	for _, s := range []string{"0::/\n", "4:memory:/docker/abc\n0::/a/b\n", "4:cpu,memory:/x/../y\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, g := range memoryGroups(text) {
			if !strings.HasPrefix(g.dir, "/") || slices.Contains(strings.Split(g.dir, "/"), "..") {
				t.Fatalf("%q: group dir %q", text, g.dir)
			}
		}
		limitOf(text, func(string) (string, error) { return "", fs.ErrNotExist })
	})
}

func FuzzParseLimit(f *testing.F) {
	for _, s := range []string{"max", "536870912\n", "9223372036854771712", " 42 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		n, ok := ParseLimit(text)
		if ok != (n > 0) || n >= 1<<62 {
			t.Fatalf("ParseLimit(%q) = %d, %v", text, n, ok)
		}
	})
}
