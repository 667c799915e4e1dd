// Package gcdefaults sets the Go garbage collector's defaults for IDV's
// processes where the operator has not set them: a heap that may grow to
// three times what is live between collections (GOGC 200, Go's default
// being 100), and, under a memory limit (its control group's: a
// container's, a systemd unit's), a soft memory limit of four fifths of
// it, so that the larger heap gives way before that limit is reached. GOGC and GOMEMLIMIT in the
// environment always win. docs/operating.md says why (the CPU a
// verification, a wipe and a real verification spend on collection,
// measured in docs/measurements.md).
package gcdefaults

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
)

// Percent is the GOGC IDV runs with when GOGC is not set.
const Percent = 200

// Settings are the collector's settings Apply left in force, and whether
// each is IDV's default or the environment's.
type Settings struct {
	Percent        int
	PercentDefault bool  // Percent is IDV's default, not GOGC's
	Limit          int64 // bytes; 0: none (Go's default, math.MaxInt64)
	LimitDefault   bool  // Limit is four fifths of the control group's, not GOMEMLIMIT's
}

// String says what is in force, for a process's start-up line.
func (s Settings) String() string {
	pct := fmt.Sprintf("GOGC %d", s.Percent)
	if s.Percent < 0 {
		pct = "GOGC off"
	}
	if s.PercentDefault {
		pct += " (IDV's default)"
	}
	limit := "no memory limit"
	if s.Limit > 0 {
		limit = fmt.Sprintf("memory limit %d MiB", s.Limit>>20)
		if s.LimitDefault {
			limit += " (4/5 of the control group's)"
		}
	}
	return pct + ", " + limit
}

// Apply sets GOGC to Percent unless getenv("GOGC") is set, and the soft
// memory limit to four fifths of groupLimit's (CgroupLimit) unless
// getenv("GOMEMLIMIT") is set or groupLimit knows none. It returns
// what is in force after. Run it once, at the start of a process.
func Apply(getenv func(string) string, groupLimit func() (int64, bool)) Settings {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(Percent)
	}
	if getenv("GOMEMLIMIT") == "" {
		if max, ok := groupLimit(); ok {
			debug.SetMemoryLimit(max / 5 * 4)
		}
	}
	return Read(getenv)
}

// Read says what is in force: a setting the environment does not name is
// IDV's default where it has the default's value (a process that did not
// run Apply, such as a test, has Go's).
func Read(getenv func(string) string) Settings {
	pct, limit := inForce()
	s := Settings{Percent: pct}
	s.PercentDefault = getenv("GOGC") == "" && s.Percent == Percent
	if limit < math.MaxInt64 {
		s.Limit = limit
		s.LimitDefault = getenv("GOMEMLIMIT") == ""
	}
	return s
}

// inForce reads the runtime's GOGC and memory limit without changing
// them (runtime/metrics; GOGC off reads as -1).
func inForce() (percent int, limit int64) {
	samples := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(samples)
	return int(samples[0].Value.Uint64()), int64(samples[1].Value.Uint64())
}

// CgroupLimit reads the memory limit of this process's control group
// (/proc/self/cgroup names it), the smallest of it and its parents':
// cgroup v2's memory.max, else v1's memory.limit_in_bytes.
func CgroupLimit() (int64, bool) {
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0, false
	}
	return limitOf(string(self), func(path string) (string, error) {
		b, err := os.ReadFile(path)
		return string(b), err
	})
}

// limitOf finds the memory limit of the control group procCgroup (the text
// of /proc/self/cgroup) names, reading its files and its parents' with
// read: the smallest, and whether any is set.
func limitOf(procCgroup string, read func(path string) (string, error)) (int64, bool) {
	var limit int64
	found := false
	for _, g := range memoryGroups(procCgroup) {
		for dir := g.dir; ; dir = filepath.Dir(dir) {
			text, err := read(filepath.Join(g.root, dir, g.file))
			if err == nil {
				if n, ok := ParseLimit(text); ok && (!found || n < limit) {
					limit, found = n, true
				}
			}
			if dir == "/" || dir == "." {
				break
			}
		}
		if found {
			return limit, true
		}
	}
	return 0, false
}

// memoryGroup is where a control group's memory limit is: the file in
// directory dir (the group's path) under root.
type memoryGroup struct{ root, dir, file string }

// memoryGroups reads /proc/self/cgroup's text ("id:controllers:path" a
// line): the v2 group ("0::path") first, then the v1 memory controller's.
func memoryGroups(procCgroup string) []memoryGroup {
	var v2, v1 []memoryGroup
	for _, line := range strings.Split(procCgroup, "\n") {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "/") {
			continue
		}
		dir := filepath.Clean(parts[2])
		switch {
		case parts[0] == "0" && parts[1] == "":
			v2 = append(v2, memoryGroup{"/sys/fs/cgroup", dir, "memory.max"})
		case slices.Contains(strings.Split(parts[1], ","), "memory"):
			v1 = append(v1, memoryGroup{"/sys/fs/cgroup/memory", dir, "memory.limit_in_bytes"})
		}
	}
	return append(v2, v1...)
}

// ParseLimit reads a cgroup memory limit file's text: "max" (v2) or a
// value of 2^62 or more (v1's way of saying none) is no limit, and so is
// anything that is not a positive whole number of bytes.
func ParseLimit(text string) (int64, bool) {
	text = strings.TrimSpace(text)
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || n <= 0 || n >= 1<<62 {
		return 0, false
	}
	return n, true
}
