package loadgen

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// cpuSeconds is this process's user and system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// peakRSSMiB is this process's peak resident set (VmHWM), or -1 where
// /proc does not tell.
func peakRSSMiB() int {
	mib, err := procPeakRSSMiB("self")
	if err != nil {
		return -1
	}
	return mib
}

// procPeakRSSMiB is the peak resident set (VmHWM) of process pid ("self"
// or a number), from /proc.
func procPeakRSSMiB(pid string) (int, error) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, fmt.Errorf("loadgen: peak memory of process %s: %w", pid, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				return 0, fmt.Errorf("loadgen: peak memory of process %s: %w", pid, err)
			}
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("loadgen: peak memory of process %s: no VmHWM", pid)
}

// clockTicks is the unit of /proc/PID/stat's CPU times (USER_HZ, 100 on
// every Linux architecture Go supports).
const clockTicks = 100

// procCPUSeconds is the user and system CPU time of process pid, every
// thread of it, from /proc/PID/stat.
func procCPUSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("loadgen: CPU time of process %d: %w", pid, err)
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from after its closing one (state is field 3, utime 14, stime 15).
	i := strings.LastIndexByte(string(b), ')')
	fields := strings.Fields(string(b[i+1:]))
	if i < 0 || len(fields) < 13 {
		return 0, fmt.Errorf("loadgen: CPU time of process %d: unexpected /proc/%d/stat", pid, pid)
	}
	var ticks float64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("loadgen: CPU time of process %d: %w", pid, err)
		}
		ticks += float64(n)
	}
	return ticks / clockTicks, nil
}

// machineCPU is the machine's CPU time, every process's, in seconds: busy
// (user, nice, system, irq, softirq, steal) and all (busy, idle and
// iowait), and how many cores it counts them over.
type machineCPU struct {
	busy, all float64
	cores     int
}

// readMachineCPU reads the machine's CPU time from /proc/stat; ok is false
// where it cannot.
func readMachineCPU() (machineCPU, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineCPU{}, false
	}
	m, err := parseProcStat(string(b))
	return m, err == nil
}

// parseProcStat reads /proc/stat's text: the "cpu" line's times (in
// clock ticks) and the "cpuN" lines' count.
func parseProcStat(text string) (machineCPU, error) {
	var m machineCPU
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0 || !strings.HasPrefix(f[0], "cpu"):
		case f[0] != "cpu":
			m.cores++
		case len(f) < 9:
			return machineCPU{}, fmt.Errorf("loadgen: /proc/stat: %d fields on the cpu line, want 8 times", len(f)-1)
		default:
			var t [8]float64 // user nice system idle iowait irq softirq steal
			for i := range t {
				n, err := strconv.ParseUint(f[i+1], 10, 64)
				if err != nil {
					return machineCPU{}, fmt.Errorf("loadgen: /proc/stat: %w", err)
				}
				t[i] = float64(n) / clockTicks
			}
			m.busy = t[0] + t[1] + t[2] + t[5] + t[6] + t[7]
			m.all = m.busy + t[3] + t[4]
		}
	}
	if m.all == 0 || m.cores == 0 {
		return machineCPU{}, fmt.Errorf("loadgen: /proc/stat: no cpu times")
	}
	return m, nil
}

// machineUse is what the machine's cores did between two readings over
// items (verifications or wipes) done at rate per second.
type machineUse struct {
	cores   int
	busy    float64 // share of the cores' time, 0 to 1
	perItem float64 // CPU seconds of every process per item
	bound   float64 // items per second the cores allow at perItem
	rate    float64
}

// use is the machine's use from m0 to m1 over items done at rate.
func (m0 machineCPU) use(m1 machineCPU, items int, rate float64) machineUse {
	busy, all := m1.busy-m0.busy, m1.all-m0.all
	u := machineUse{cores: m1.cores, rate: rate}
	if all > 0 {
		u.busy = busy / all
	}
	if items > 0 && busy > 0 {
		u.perItem = busy / float64(items)
		u.bound = float64(m1.cores) / u.perItem
	}
	return u
}

// print writes the use: a run whose cores were all busy is bound by the
// CPU each item costs, not by waiting.
func (u machineUse) print(w io.Writer, item string) {
	if u.bound == 0 {
		return
	}
	fmt.Fprintf(w, "machine: %d cores %.0f %% busy (every process: %.1f ms of CPU per %s); at that cost they allow %.1f/s, this run %.1f/s = %.0f %%\n",
		u.cores, 100*u.busy, 1000*u.perItem, item, u.bound, u.rate, 100*u.rate/u.bound)
}
