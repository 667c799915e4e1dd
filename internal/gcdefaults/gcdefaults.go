// Package gcdefaults sets the Go garbage collector's defaults for IDV's
// processes where the operator has not set them: a heap that may grow to
// three times what is live between collections (GOGC 200, Go's default
// being 100), and, in a container with a memory limit, a soft memory
// limit of four fifths of it, so that the larger heap gives way before
// the container's limit is reached. GOGC and GOMEMLIMIT in the
// environment always win. docs/operating.md says why (the CPU a
// verification, a wipe and a real verification spend on collection,
// measured in docs/measurements.md).
package gcdefaults

import (
	"fmt"
	"os"
	"runtime/debug"
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
	LimitDefault   bool  // Limit is four fifths of the container's, not GOMEMLIMIT's
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
			limit += " (4/5 of the container's)"
		}
	}
	return pct + ", " + limit
}

// Apply sets GOGC to Percent unless getenv("GOGC") is set, and the soft
// memory limit to four fifths of containerLimit's unless
// getenv("GOMEMLIMIT") is set or containerLimit knows none. It returns
// what is in force after. Run it once, at the start of a process.
func Apply(getenv func(string) string, containerLimit func() (int64, bool)) Settings {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(Percent)
	}
	if getenv("GOMEMLIMIT") == "" {
		if max, ok := containerLimit(); ok {
			debug.SetMemoryLimit(max / 5 * 4)
		}
	}
	return Read(getenv)
}

// Read says what is in force: a setting the environment does not name is
// IDV's default where it has the default's value (a process that did not
// run Apply, such as a test, has Go's).
func Read(getenv func(string) string) Settings {
	s := Settings{Percent: debug.SetGCPercent(-1)}
	debug.SetGCPercent(s.Percent)
	s.PercentDefault = getenv("GOGC") == "" && s.Percent == Percent
	if l := debug.SetMemoryLimit(-1); l < maxLimit {
		s.Limit = l
		s.LimitDefault = getenv("GOMEMLIMIT") == ""
	}
	return s
}

// maxLimit is Go's "no limit".
const maxLimit = int64(^uint64(0) >> 1)

// CgroupLimit reads this process's container memory limit: cgroup v2's
// memory.max, else cgroup v1's memory.limit_in_bytes.
func CgroupLimit() (int64, bool) {
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		return ParseLimit(string(b))
	}
	return 0, false
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
