package loadgen

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"time"

	"github.com/idv-oss/idv/document/framecheck"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/internal/gcdefaults"
)

// Options are what a measured run does besides the load itself.
type Options struct {
	Wipe       bool   // erase every session afterwards and report sessions wiped per second
	CPUProfile string // write a CPU profile of the run to this file
	// WipeCPUProfile, with Wipe, is the file for a CPU profile of the
	// wipe alone.
	WipeCPUProfile string
	// WipeTrace, with Wipe, is the file for an execution trace of the
	// wipe alone.
	WipeTrace string
	Trace     string // write an execution trace of the run to this file
	// ImageChecks is how the system's document check runs its image
	// checks (the quality gates' settings), nil when they are off, so
	// that a real workload's bound runs them alike.
	ImageChecks *framecheck.Config
	// Liveness is how the system's liveness stage measures and judges
	// frames, that a real workload's bound measures them alike (with or
	// without the passive-liveness model).
	Liveness challenge.Config
	// DatabaseCPU starts measuring the database server's CPU time
	// (postgres.StartServerCPU); nil: not measured.
	DatabaseCPU func(context.Context) (CPUMeter, error)
	// Transactions is how many PostgreSQL transactions the system has
	// run so far (postgres.Transactions, when every stage runs in this
	// process); nil: not counted.
	Transactions func() int64
	// Workers are the ids of the processes that run the pipeline's
	// stages beside this one (idv loadgen -workers): the report gives each
	// one's CPU time per verification and peak memory.
	Workers []int
	// Cores is how many cores the engines may use, for the bound; 0: this
	// process's GOMAXPROCS.
	Cores int
	// Warmup verifications run before the measured ones, as fast as the
	// load's concurrency allows, and are wiped with Wipe; nothing measures
	// them. They open the pools' connections and prepare their statements,
	// which a short run would otherwise count as its own (PostgreSQL's CPU
	// per verification above all: a backend's whole CPU counts from its
	// start).
	Warmup int
	// Analyze, when set, runs after the warm-up: it brings the planner's
	// statistics of the system's databases up to date (ANALYZE). A run
	// starts on new databases and ends before autovacuum's first round
	// (its rounds are a minute apart by default), so without it
	// PostgreSQL plans the whole run on tables it has never analysed, as
	// a deployment does only until autovacuum first analyses them; with
	// no statistics it may look one session up through the tenant's index
	// (sessions_tenant_created), reading every session of the tenant.
	// nil: not done.
	Analyze func(context.Context) error
}

// CPUMeter tells the CPU seconds used since it started.
type CPUMeter interface {
	Seconds(ctx context.Context) (float64, error)
}

// startMeter starts o's database CPU meter, or returns nil (reporting why
// on stdout) when there is none.
func (o Options) startMeter(ctx context.Context, stdout io.Writer) CPUMeter {
	if o.DatabaseCPU == nil {
		return nil
	}
	m, err := o.DatabaseCPU(ctx)
	if err != nil {
		fmt.Fprintf(stdout, "database CPU: not measured: %v\n", err)
		return nil
	}
	return m
}

// perItem is m's CPU milliseconds per item, or a negative number when m
// is nil or cannot tell.
func perItem(ctx context.Context, m CPUMeter, items int) float64 {
	if m == nil {
		return -1
	}
	s, err := m.Seconds(ctx)
	if err != nil {
		return -1
	}
	return s * 1000 / float64(max(items, 1))
}

// Measure drives cfg's load of w (its Checks and Captures) and prints the
// report: throughput, latency per stage, CPU seconds per verification and
// peak memory of this process; for a real workload the bound the bare
// engines set on this machine (Bound); with o.Wipe the wipe's rate. It
// fails when a verification failed.
func (w *Workload) Measure(ctx context.Context, cfg Config, o Options, stdout io.Writer) error {
	cfg.Checks, cfg.Captures = w.Checks, w.Captures
	fmt.Fprintf(stdout, "loadgen: %d verifications, mode %s (checks %s), %s, GOMAXPROCS %d, %s\n", cfg.N, w.Mode,
		strings.Join(w.Checks, ","), pace(cfg), runtime.GOMAXPROCS(0), gcdefaults.Read(os.Getenv))
	if err := o.warmUp(ctx, cfg, stdout); err != nil {
		return err
	}
	stopProfile, err := record(o.CPUProfile, pprof.StartCPUProfile, pprof.StopCPUProfile)
	if err != nil {
		return err
	}
	stopTrace, err := record(o.Trace, trace.Start, trace.Stop)
	if err != nil {
		stopProfile()
		return err
	}
	dbMeter := o.startMeter(ctx, stdout)
	workers := startWorkerMeters(o.Workers)
	cpu0 := cpuSeconds()
	machine0, machineOK := readMachineCPU()
	tx0 := o.transactions()
	samples, elapsed, err := Run(ctx, cfg)
	txRun := o.transactions() - tx0
	machine1, machineOK1 := readMachineCPU()
	stopProfile()
	stopTrace()
	if err != nil {
		return err
	}
	cpu := cpuSeconds() - cpu0
	r := Summarise(samples, elapsed)
	r.Print(stdout)
	done := r.N - r.Failed
	fmt.Fprintf(stdout, "CPU %.3f s per verification (this process: the system and the load generator's sealing and uploads); peak resident memory %d MiB\n",
		cpu/float64(max(done, 1)), peakRSSMiB())
	workers.print(stdout, done)
	dbVerify := perItem(ctx, dbMeter, done)
	if dbVerify >= 0 {
		fmt.Fprintf(stdout, "PostgreSQL CPU %.1f ms per verification (its backends for the run's databases and its background processes)\n", dbVerify)
	}
	if o.Transactions != nil {
		fmt.Fprintf(stdout, "PostgreSQL transactions: %.1f per verification (every transaction the system's pools ran, the relay's timers too)\n",
			float64(txRun)/float64(max(done, 1)))
	}
	var use machineUse
	if machineOK && machineOK1 {
		use = machine0.use(machine1, done, r.Throughput)
		use.print(stdout, "verification")
	}
	if w.engine != nil {
		if b, err := w.bound(o.ImageChecks, o.Liveness, o.Cores); err != nil {
			fmt.Fprintf(stdout, "bare engines: %v\n", err)
		} else {
			b.Print(stdout, r.Throughput)
			b.PrintOutside(stdout, time.Duration(use.perItem*float64(time.Second)), dbVerify)
		}
	}
	if o.Wipe {
		if err := o.measureWipe(ctx, cfg, samples, dbVerify, float64(txRun)/float64(max(done, 1)), stdout); err != nil {
			return err
		}
	}
	if r.Failed > 0 {
		return fmt.Errorf("loadgen: %d of %d verifications failed", r.Failed, r.N)
	}
	return nil
}

// warmUp runs o.Warmup verifications of cfg's load, and their wipe with
// o.Wipe, unmeasured.
func (o Options) warmUp(ctx context.Context, cfg Config, stdout io.Writer) error {
	if o.Warmup <= 0 {
		return nil
	}
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "warm-up: %d verifications, not measured\n", o.Warmup)
	}
	cfg.N, cfg.Rate, cfg.Progress = o.Warmup, 0, io.Discard
	samples, elapsed, err := Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("loadgen: warm-up: %w", err)
	}
	if r := Summarise(samples, elapsed); r.Failed > 0 {
		return fmt.Errorf("loadgen: warm-up: %d of %d verifications failed", r.Failed, r.N)
	}
	what := "verifications"
	if o.Wipe {
		if _, err := Wipe(ctx, cfg, sessionIDs(samples)); err != nil {
			return fmt.Errorf("loadgen: warm-up: %w", err)
		}
		what = "verifications and their wipe"
	}
	fmt.Fprintf(stdout, "warm-up: %d %s in %.1f s, not measured\n", o.Warmup, what, elapsed.Seconds())
	return o.analyze(ctx, stdout)
}

// analyze runs o.Analyze, if set, and says so.
func (o Options) analyze(ctx context.Context, stdout io.Writer) error {
	if o.Analyze == nil {
		return nil
	}
	if err := o.Analyze(ctx); err != nil {
		return fmt.Errorf("loadgen: after the warm-up: %w", err)
	}
	fmt.Fprintln(stdout, "warm-up: the databases' tables analysed (ANALYZE), as autovacuum does within a minute of a deployment's first rows")
	return nil
}

// sessionIDs are the sessions samples created.
func sessionIDs(samples []Sample) []string {
	ids := make([]string, 0, len(samples))
	for _, s := range samples {
		if s.SessionID != "" {
			ids = append(ids, s.SessionID)
		}
	}
	return ids
}

// measureWipe erases the sessions of samples and reports the wipe's rate
// and, beside dbVerify (negative: not measured) and txVerify, the
// database's CPU and transactions per wipe.
func (o Options) measureWipe(ctx context.Context, cfg Config, samples []Sample, dbVerify, txVerify float64, stdout io.Writer) error {
	ids := sessionIDs(samples)
	stopProfile, err := record(o.WipeCPUProfile, pprof.StartCPUProfile, pprof.StopCPUProfile)
	if err != nil {
		return err
	}
	stopTrace, err := record(o.WipeTrace, trace.Start, trace.Stop)
	if err != nil {
		stopProfile()
		return err
	}
	meter := o.startMeter(ctx, io.Discard)
	machine0, machineOK := readMachineCPU()
	tx0 := o.transactions()
	d, err := Wipe(ctx, cfg, ids)
	txWipe := float64(o.transactions()-tx0) / float64(max(len(ids), 1))
	stopProfile()
	stopTrace()
	if err != nil {
		return err
	}
	machine1, machineOK1 := readMachineCPU()
	rate := float64(len(ids)) / d.Seconds()
	fmt.Fprintf(stdout, "wipe: %d sessions erased in %.2f s: %.0f sessions/s (DELETE to session.deleted webhook)\n",
		len(ids), d.Seconds(), rate)
	if machineOK && machineOK1 {
		machine0.use(machine1, len(ids), rate).print(stdout, "wipe")
	}
	if dbWipe := perItem(ctx, meter, len(ids)); dbWipe >= 0 && dbVerify >= 0 {
		fmt.Fprintf(stdout, "PostgreSQL CPU %.1f ms per wipe; %.1f ms per verification with its wipe\n", dbWipe, dbVerify+dbWipe)
	}
	if o.Transactions != nil {
		fmt.Fprintf(stdout, "PostgreSQL transactions: %.1f per wipe; %.1f per verification with its wipe\n", txWipe, txVerify+txWipe)
	}
	return nil
}

// transactions is o.Transactions(), or 0 when it is nil.
func (o Options) transactions() int64 {
	if o.Transactions == nil {
		return 0
	}
	return o.Transactions()
}

// workerMeters read the CPU time of the worker processes since a run
// started.
type workerMeters struct {
	pids  []int
	start []float64 // CPU seconds at the start; negative: unreadable
}

func startWorkerMeters(pids []int) workerMeters {
	m := workerMeters{pids: pids, start: make([]float64, len(pids))}
	for i, pid := range pids {
		s, err := procCPUSeconds(pid)
		if err != nil {
			s = -1
		}
		m.start[i] = s
	}
	return m
}

// print writes a line per worker process — CPU seconds per verification
// over done verifications, peak resident memory — and their sum.
func (m workerMeters) print(w io.Writer, done int) {
	total := 0.0
	for i, pid := range m.pids {
		end, err := procCPUSeconds(pid)
		if err != nil || m.start[i] < 0 {
			fmt.Fprintf(w, "worker process %d: CPU not measured: %v\n", pid, err)
			continue
		}
		per := (end - m.start[i]) / float64(max(done, 1))
		total += per
		rss, err := procPeakRSSMiB(strconv.Itoa(pid))
		if err != nil {
			rss = -1
		}
		fmt.Fprintf(w, "worker process %d: CPU %.3f s per verification; peak resident memory %d MiB\n", pid, per, rss)
	}
	if len(m.pids) > 1 {
		fmt.Fprintf(w, "worker processes together: CPU %.3f s per verification\n", total)
	}
}

// record starts recording into the file path (a CPU profile, an execution
// trace) and returns what stops it and closes the file; with no path it
// records nothing.
func record(path string, start func(io.Writer) error, stop func()) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	return func() { stop(); f.Close() }, nil
}

func pace(cfg Config) string {
	if cfg.Rate > 0 {
		return fmt.Sprintf("%.2f/s started (at most %d in flight)", cfg.Rate, cfg.Concurrency)
	}
	return fmt.Sprintf("%d in flight", cfg.Concurrency)
}
