package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/idv-oss/idv/document/framecheck"
	"github.com/idv-oss/idv/infra/loadgen"
	"github.com/idv-oss/idv/infra/postgres"
)

const loadgenUsage = `usage: idv loadgen [-n N] [-rate R | -concurrency C] [-mode tiny|real] [-wipe] [-images DIR]
  tiny: the document check on tiny generated images, its image checks off
        (the control plane alone)
  real: document, face and liveness checks with the face engine on a photo of a
        generated card bearing a Debian photo's portrait, and challenge frames
        made from that photo (needs IDV_FACE_DIR and IDV_TEST_IMAGES)`

// runLoadgen starts the whole system in this process (as idv dev does, on
// its own databases idv_loadgen and idv_loadgen_keys and under
// <IDV_DEV_DIR>/loadgen) and measures a workload of package loadgen on it.
func runLoadgen(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	var lc loadgen.Config
	var o loadgen.Options
	fs := newFlagSet("loadgen", stderr)
	fs.IntVar(&lc.N, "n", 100, "verifications")
	fs.Float64Var(&lc.Rate, "rate", 0, "verifications started per second (0: as fast as -concurrency allows)")
	fs.IntVar(&lc.Concurrency, "concurrency", 8, "verifications in flight at most")
	mode := fs.String("mode", "tiny", "tiny or real")
	fs.BoolVar(&o.Wipe, "wipe", false, "erase every session afterwards and measure the wipe")
	images := fs.String("images", cfg.TestImages, "directory of the Debian test photos (real mode; default IDV_TEST_IMAGES)")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the run (system and load generator) to this file")
	fs.StringVar(&o.Trace, "trace", "", "write an execution trace of the run to this file (go tool trace)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if lc.N < 1 || lc.Concurrency < 1 || lc.Rate < 0 || (*mode != "tiny" && *mode != "real") {
		return errors.New(loadgenUsage)
	}
	if cfg.DatabaseURL == "" {
		return errors.New("loadgen needs DATABASE_URL: run `go tool task bench` or `go tool task loadgen`")
	}
	var work *loadgen.Workload
	var err error
	switch {
	case *mode == "tiny":
		work, err = loadgen.Tiny()
	case cfg.FaceDir == "" || *images == "":
		return errors.New("loadgen -mode real needs IDV_FACE_DIR (scripts/face-models.sh) and -images or IDV_TEST_IMAGES (scripts/test-images.sh)")
	default:
		work, err = loadgen.Real(cfg.FaceDir, *images)
	}
	if err != nil {
		return err
	}
	defer work.Close()
	// Its own databases: idv_loadgen, and idv_loadgen_keys beside it.
	if cfg.DatabaseURL, err = postgres.EnsureDatabase(ctx, cfg.DatabaseURL, "idv_loadgen"); err != nil {
		return err
	}
	cfg.DevDir = filepath.Join(cfg.DevDir, "loadgen")
	// Tiny mode measures the control plane: its pictures are no photos of
	// a document, so the image checks are left out.
	cfg.DocImageChecks = cfg.DocImageChecks && *mode != "tiny"
	if cfg.DocImageChecks {
		// The bound runs the image checks as buildDoccheck sets them up.
		o.ImageChecks = &framecheck.Config{Gates: true, Quality: cfg.DocQuality}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	say := func(format string, a ...any) { fmt.Fprintf(stderr, "• "+format+"\n", a...) }
	l, err := startLocal(ctx, cfg, io.Discard, say, log)
	if err != nil {
		return err
	}
	defer l.Stop()
	lc.APIURL, lc.APIKey, lc.Await, lc.Progress = l.cfg.PublicURL, l.env.tenant.APIKey, l.rcv.Arrival, stderr
	stats, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer stats.Close()
	o.DatabaseCPU = func(ctx context.Context) (loadgen.CPUMeter, error) {
		return postgres.StartServerCPU(ctx, stats, databaseName(l.cfg.DatabaseURL), databaseName(l.cfg.KeyStoreURL))
	}
	return work.Measure(ctx, lc, o, stdout)
}

// databaseName is the database a postgres:// URL names ("" for another
// form).
func databaseName(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}
