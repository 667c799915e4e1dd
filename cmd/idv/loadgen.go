package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/idv-oss/idv/document/framecheck"
	"github.com/idv-oss/idv/infra/loadgen"
	"github.com/idv-oss/idv/infra/postgres"
)

const loadgenUsage = `usage: idv loadgen [-n N] [-rate R | -concurrency C] [-mode tiny|real] [-images DIR]
                   [-wipe [-wipe-cpuprofile FILE] [-wipe-trace FILE]] [-cpuprofile FILE] [-trace FILE]
                   [-workers W [-worker-cpus LIST]] [-nats-nodes 1|3] [-warmup W] [-analyze=false]
  tiny: the document check on tiny generated images, its image checks off
        (the control plane alone)
  real: document, face and liveness checks with the face engine on a photo of a
        generated card bearing a Debian photo's portrait, and challenge frames
        made from that photo (needs IDV_FACE_DIR and IDV_TEST_IMAGES)
  -workers W: the stages run in W separate idv worker all processes, pinned
        with taskset to -worker-cpus when given; the API, the relay and the
        retention round stay in this process
  -nats-nodes 3: an embedded 3-node JetStream cluster, the stream at R3
  -warmup W: W verifications first (twice -concurrency unless given), and
        their wipe with -wipe, that nothing measures: the database's
        connections open and prepare their statements before the run
  -analyze=false: leave the tables unanalysed after the warm-up, as a new
        database's are until autovacuum's first round (by default they are
        analysed, as in a deployment that has run for a minute or two; with
        -warmup 0 there is nothing to analyse, and they are not)`

// loadgenRun is one idv loadgen run as its flags set it up.
type loadgenRun struct {
	load     loadgen.Config
	opts     loadgen.Options
	mode     string
	images   string
	database string // the main database's name; the key store's is <name>_keys
	lay      layout
	analyze  bool   // ANALYZE the databases after the warm-up
	workers  int    // worker processes; 0 runs the stages in this process
	cpus     string // taskset list the worker processes are pinned to
	bin      string // the idv binary the worker processes run
}

// runLoadgen starts the whole system (as idv dev does, on its own
// databases idv_loadgen and idv_loadgen_keys and under
// <IDV_DEV_DIR>/loadgen) in this process, or with its stages in worker
// processes, and measures a workload of package loadgen on it.
func runLoadgen(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	r, err := parseLoadgen(args, cfg, stderr)
	if err != nil {
		return err
	}
	return r.run(ctx, cfg, stdout, stderr)
}

// parseLoadgen reads idv loadgen's flags.
func parseLoadgen(args []string, cfg config, stderr io.Writer) (loadgenRun, error) {
	r := loadgenRun{database: "idv_loadgen"}
	fs := newFlagSet("loadgen", stderr)
	fs.IntVar(&r.load.N, "n", 100, "verifications")
	fs.Float64Var(&r.load.Rate, "rate", 0, "verifications started per second (0: as fast as -concurrency allows)")
	fs.IntVar(&r.load.Concurrency, "concurrency", 8, "verifications in flight at most")
	fs.StringVar(&r.mode, "mode", "tiny", "tiny or real")
	fs.BoolVar(&r.opts.Wipe, "wipe", false, "erase every session afterwards and measure the wipe")
	fs.StringVar(&r.images, "images", cfg.TestImages, "directory of the Debian test photos (real mode; default IDV_TEST_IMAGES)")
	fs.StringVar(&r.opts.CPUProfile, "cpuprofile", "", "write a CPU profile of the run (this process: the system and load generator) to this file")
	fs.StringVar(&r.opts.WipeCPUProfile, "wipe-cpuprofile", "", "with -wipe, write a CPU profile of the wipe (this process) to this file")
	fs.StringVar(&r.opts.WipeTrace, "wipe-trace", "", "with -wipe, write an execution trace of the wipe (this process) to this file (go tool trace)")
	fs.StringVar(&r.opts.Trace, "trace", "", "write an execution trace of the run to this file (go tool trace)")
	fs.IntVar(&r.workers, "workers", 0, "run the stages in this many idv worker all processes (0: in this process)")
	fs.StringVar(&r.cpus, "worker-cpus", "", "pin the worker processes to these cpus with taskset (e.g. 0 or 0,1)")
	fs.StringVar(&r.bin, "worker-bin", "", "the idv binary the worker processes run (default: this one)")
	fs.IntVar(&r.lay.natsNodes, "nats-nodes", 1, "embedded NATS servers: 1, or 3 as a JetStream cluster with the stream at R3")
	fs.IntVar(&r.opts.Warmup, "warmup", -1, "verifications run (and wiped, with -wipe) before the measured ones, unmeasured (-1: twice -concurrency)")
	fs.BoolVar(&r.analyze, "analyze", true, "analyse the databases' tables after the warm-up (false: plan the run on tables never analysed, as a new database's are until autovacuum's first round)")
	if err := fs.Parse(args); err != nil {
		return r, err
	}
	if r.opts.Warmup == -1 {
		r.opts.Warmup = 2 * r.load.Concurrency
	}
	if r.load.N < 1 || r.load.Concurrency < 1 || r.load.Rate < 0 || r.opts.Warmup < 0 || (r.mode != "tiny" && r.mode != "real") ||
		r.workers < 0 || ((r.opts.WipeCPUProfile != "" || r.opts.WipeTrace != "") && !r.opts.Wipe) || (r.lay.natsNodes != 1 && r.lay.natsNodes != 3) || (r.cpus != "" && r.workers == 0) {
		return r, errors.New(loadgenUsage)
	}
	if r.cpus != "" {
		n, err := cpuCount(r.cpus)
		if err != nil {
			return r, fmt.Errorf("-worker-cpus: %w", err)
		}
		// The engines run in the worker processes: the bound is theirs.
		r.opts.Cores = n
	}
	r.lay.noStages = r.workers > 0
	return r, nil
}

// workload makes the run's workload.
func (r loadgenRun) workload(cfg config) (*loadgen.Workload, error) {
	switch {
	case r.mode == "tiny":
		return loadgen.Tiny()
	case cfg.FaceDir == "" || r.images == "":
		return nil, errors.New("loadgen -mode real needs IDV_FACE_DIR (scripts/face-models.sh) and -images or IDV_TEST_IMAGES (scripts/test-images.sh)")
	default:
		return loadgen.Real(cfg.FaceDir, r.images)
	}
}

// run starts the system as r lays it out, measures the workload on it and
// stops it.
func (r loadgenRun) run(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	if cfg.DatabaseURL == "" {
		return errors.New("loadgen needs DATABASE_URL: run `go tool task bench` or `go tool task loadgen`")
	}
	work, err := r.workload(cfg)
	if err != nil {
		return err
	}
	defer work.Close()
	// Its own databases: idv_loadgen, and idv_loadgen_keys beside it.
	if cfg.DatabaseURL, err = postgres.EnsureDatabase(ctx, cfg.DatabaseURL, r.database); err != nil {
		return err
	}
	cfg.DevDir = filepath.Join(cfg.DevDir, "loadgen")
	// Tiny mode measures the control plane: its pictures are no photos of
	// a document, so the image checks are left out.
	cfg.DocImageChecks = cfg.DocImageChecks && r.mode != "tiny"
	r.opts.Liveness = cfg.challenge()
	if cfg.DocImageChecks {
		// The bound runs the image checks as buildDoccheck sets them up.
		r.opts.ImageChecks = &framecheck.Config{Gates: true, Quality: cfg.DocQuality}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	say := func(format string, a ...any) { fmt.Fprintf(stderr, "• "+format+"\n", a...) }
	l, err := startLocalIn(ctx, cfg, r.lay, io.Discard, say, log)
	if err != nil {
		return err
	}
	defer l.Stop()
	if r.workers > 0 {
		procs, err := r.startWorkers(ctx, l.cfg)
		if err != nil {
			return err
		}
		defer stopWorkers(procs)
		r.opts.Workers = workerPIDs(procs)
	}
	fmt.Fprintln(stdout, r.describe(ctx, l))
	r.load.APIURL, r.load.APIKey, r.load.Await, r.load.Progress = l.cfg.PublicURL, l.env.tenant.APIKey, l.rcv.Arrival, stderr
	stats, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer stats.Close()
	r.opts.DatabaseCPU = func(ctx context.Context) (loadgen.CPUMeter, error) {
		return postgres.StartServerCPU(ctx, stats, postgres.DatabaseName(l.cfg.DatabaseURL), postgres.DatabaseName(l.cfg.KeyStoreURL))
	}
	if r.analyze {
		r.opts.Analyze = func(ctx context.Context) error {
			return postgres.Analyze(ctx, l.cfg.DatabaseURL, l.cfg.KeyStoreURL)
		}
	}
	if r.workers == 0 { // the workers' pools are theirs: counted in their processes
		r.opts.Transactions = postgres.Transactions
	}
	return work.Measure(ctx, r.load, r.opts, stdout)
}

// startWorkers starts r's worker processes against the system l started.
func (r loadgenRun) startWorkers(ctx context.Context, cfg config) ([]*workerProc, error) {
	bin := r.bin
	if bin == "" {
		var err error
		if bin, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("worker processes: this binary: %w", err)
		}
	}
	return startWorkers(ctx, bin, r.workers, r.cpus, cfg, filepath.Join(cfg.DevDir, "workers"))
}

// describe is the line saying how the run is laid out: where the stages
// run, and the broker's nodes and the stream's replicas as the broker
// reports them.
func (r loadgenRun) describe(ctx context.Context, l *local) string {
	where := "stages in this process"
	if r.workers > 0 {
		where = fmt.Sprintf("stages in %d idv worker all process(es)", r.workers)
		if r.cpus != "" {
			where += " pinned to cpus " + r.cpus
		}
		where += "; API, relay and retention in this process"
	}
	return fmt.Sprintf("layout: %s; %s", where, l.streamLayout(ctx))
}
