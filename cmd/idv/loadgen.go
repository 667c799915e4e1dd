package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/evaluation"
	"github.com/idv-oss/idv/face/synth"
	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/infra/loadgen"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

const loadgenUsage = `usage: idv loadgen [-n N] [-rate R | -concurrency C] [-mode tiny|real] [-wipe] [-images DIR]
  tiny: the document check on tiny generated images, its image checks off
        (the control plane alone)
  real: document, face and liveness checks with the face engine on a photo of a
        generated card bearing a Debian photo's portrait, and challenge frames
        made from that photo (needs IDV_FACE_DIR and IDV_TEST_IMAGES)`

// loadOptions are idv loadgen's flags.
type loadOptions struct {
	n, concurrency int
	rate           float64
	mode, images   string
	wipe           bool
	cpuProfile     string
	trace          string
}

// runLoadgen starts the whole system in this process (as idv dev does, on
// its own databases idv_loadgen and idv_loadgen_keys and under
// <IDV_DEV_DIR>/loadgen), drives N verifications through it and reports
// throughput, latency per stage, CPU seconds per verification and peak
// memory; with -wipe it then erases them all and reports sessions wiped per
// second; in real mode it also times the bare face engine on the same images.
func runLoadgen(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	var o loadOptions
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.n, "n", 100, "verifications")
	fs.Float64Var(&o.rate, "rate", 0, "verifications started per second (0: as fast as -concurrency allows)")
	fs.IntVar(&o.concurrency, "concurrency", 8, "verifications in flight at most")
	fs.StringVar(&o.mode, "mode", "tiny", "tiny or real")
	fs.BoolVar(&o.wipe, "wipe", false, "erase every session afterwards and measure the wipe")
	fs.StringVar(&o.images, "images", os.Getenv("IDV_TEST_IMAGES"), "directory of the Debian test photos (real mode)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the run (system and load generator) to this file")
	fs.StringVar(&o.trace, "trace", "", "write an execution trace of the run to this file (go tool trace)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.n < 1 || o.concurrency < 1 || o.rate < 0 || (o.mode != "tiny" && o.mode != "real") {
		return errors.New(loadgenUsage)
	}
	if cfg.DatabaseURL == "" {
		return errors.New("loadgen needs DATABASE_URL: run `go tool task bench` or `go tool task loadgen`")
	}
	work, err := newWorkload(o, cfg)
	if err != nil {
		return err
	}
	defer work.close()
	// Its own databases: idv_loadgen, and idv_loadgen_keys beside it.
	if cfg.DatabaseURL, err = postgres.EnsureDatabase(ctx, cfg.DatabaseURL, "idv_loadgen"); err != nil {
		return err
	}
	cfg.DevDir = filepath.Join(cfg.DevDir, "loadgen")
	if o.mode == "tiny" {
		// A 96 × 60 picture is no photo of a document: the quality gates
		// would ask for a new one every time. Tiny mode measures the
		// control plane, so it leaves the image checks out.
		cfg.DocImageChecks = false
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	say := func(format string, a ...any) { fmt.Fprintf(stderr, "• "+format+"\n", a...) }
	l, err := startLocal(ctx, cfg, io.Discard, say, log)
	if err != nil {
		return err
	}
	defer l.Stop()
	return work.run(ctx, l, stdout, stderr)
}

// workload is one kind of verification, made the same way every time.
type workload struct {
	o      loadOptions
	checks []string
	doc    []byte
	mrz    string              // the MRZ text the document bears
	frames map[string][][]byte // selfie frames by challenge, JPEG
	engine *face.Engine        // real mode: for the bare-engine comparison
	decode [][]image.Image     // real mode: the decoded document and frames of each challenge
}

func newWorkload(o loadOptions, cfg config) (*workload, error) {
	w := &workload{o: o, frames: map[string][][]byte{}, mrz: specimenMRZ(time.Now())}
	if o.mode == "tiny" {
		w.checks = []string{schemas.CheckDocument}
		doc, err := jpegOf(tinyImage(96, 60, 0), 80)
		if err != nil {
			return nil, err
		}
		w.doc = doc
		for i := range 3 {
			f, err := jpegOf(tinyImage(48, 64, i), 80)
			if err != nil {
				return nil, err
			}
			w.frames[""] = append(w.frames[""], f)
		}
		return w, nil
	}
	return w, w.real(cfg)
}

// real prepares the document (a photo of a generated card with Grace
// Hopper's portrait, documentPhoto) and, for each of the four challenges,
// frames of her performing it.
func (w *workload) real(cfg config) error {
	if cfg.FaceDir == "" || w.o.images == "" {
		return errors.New("loadgen -mode real needs IDV_FACE_DIR (scripts/face-models.sh) and -images or IDV_TEST_IMAGES (scripts/test-images.sh)")
	}
	w.checks = []string{schemas.CheckDocument, schemas.CheckFace, schemas.CheckLiveness}
	var err error
	if w.engine, err = face.Open(cfg.FaceDir, face.Config{}); err != nil {
		return fmt.Errorf("loadgen: %w", err)
	}
	photo, err := os.ReadFile(filepath.Join(w.o.images, "grace_hopper.jpg"))
	if err != nil {
		return fmt.Errorf("loadgen: %w", err)
	}
	img, err := jpeg.Decode(bytes.NewReader(photo))
	if err != nil {
		return fmt.Errorf("loadgen: grace_hopper.jpg: %w", err)
	}
	f, err := evaluation.Locate(w.engine, img)
	if err != nil {
		return err
	}
	if w.doc, err = documentPhoto(w.mrz, img, 0); err != nil {
		return err
	}
	doc, err := jpeg.Decode(bytes.NewReader(w.doc))
	if err != nil {
		return fmt.Errorf("loadgen: document photo: %w", err)
	}
	for i, steps := range evaluation.Challenges {
		seq := []image.Image{doc}
		for _, fr := range synth.Sequence(img, f, steps, uint64(i)) {
			b, err := jpegOf(fr, 90)
			if err != nil {
				return err
			}
			w.frames[strings.Join(steps, " ")] = append(w.frames[strings.Join(steps, " ")], b)
			dec, err := jpeg.Decode(bytes.NewReader(b))
			if err != nil {
				return err
			}
			seq = append(seq, dec)
		}
		w.decode = append(w.decode, seq)
	}
	return nil
}

func (w *workload) close() {
	if w.engine != nil {
		w.engine.Close()
	}
}

// captures are a session's captures: the document, the MRZ of the Dutch
// specimen card it bears, and the frames for its challenge.
func (w *workload) captures(ch *schemas.Challenge) ([]appclient.Capture, error) {
	key := ""
	if ch != nil {
		key = strings.Join(ch.Steps, " ")
	}
	frames, ok := w.frames[key]
	if !ok {
		return nil, fmt.Errorf("loadgen: no frames for challenge %q", key)
	}
	caps := []appclient.Capture{{Kind: schemas.DocumentFront, Plain: w.doc},
		{Kind: schemas.MRZ, Plain: []byte(w.mrz)}}
	for i, f := range frames {
		caps = append(caps, appclient.Capture{Kind: schemas.Selfie, Index: i, Plain: f})
	}
	return caps, nil
}

// run drives the load through l and prints the report.
func (w *workload) run(ctx context.Context, l *local, stdout, stderr io.Writer) error {
	lc := loadgen.Config{APIURL: l.cfg.PublicURL, APIKey: l.env.tenant.APIKey, Checks: w.checks, N: w.o.n,
		Rate: w.o.rate, Concurrency: w.o.concurrency, Captures: w.captures, Await: l.rcv.arrival, Progress: stderr}
	fmt.Fprintf(stdout, "loadgen: %d verifications, mode %s (checks %s), %s, GOMAXPROCS %d\n", w.o.n, w.o.mode,
		strings.Join(w.checks, ","), pace(w.o), runtime.GOMAXPROCS(0))
	if w.o.cpuProfile != "" {
		f, err := os.Create(w.o.cpuProfile)
		if err != nil {
			return fmt.Errorf("loadgen: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("loadgen: %w", err)
		}
	}
	if w.o.trace != "" {
		f, err := os.Create(w.o.trace)
		if err != nil {
			return fmt.Errorf("loadgen: %w", err)
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return fmt.Errorf("loadgen: %w", err)
		}
	}
	cpu0 := cpuSeconds()
	samples, elapsed, err := loadgen.Run(ctx, lc)
	pprof.StopCPUProfile()
	trace.Stop()
	if err != nil {
		return err
	}
	cpu := cpuSeconds() - cpu0
	r := loadgen.Summarise(samples, elapsed)
	r.Print(stdout)
	done := r.N - r.Failed
	fmt.Fprintf(stdout, "CPU %.3f s per verification (this process: the system and the load generator's sealing and uploads); peak resident memory %d MiB\n",
		cpu/float64(max(done, 1)), peakRSSMiB())
	if w.engine != nil {
		w.printBare(stdout, r.Throughput)
	}
	if w.o.wipe {
		ids := make([]string, 0, len(samples))
		for _, s := range samples {
			if s.SessionID != "" {
				ids = append(ids, s.SessionID)
			}
		}
		d, err := loadgen.Wipe(ctx, lc, ids)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wipe: %d sessions erased in %.2f s: %.0f sessions/s (DELETE to session.deleted webhook)\n",
			len(ids), d.Seconds(), float64(len(ids))/d.Seconds())
	}
	if r.Failed > 0 {
		return fmt.Errorf("loadgen: %d of %d verifications failed", r.Failed, r.N)
	}
	return nil
}

// printBare times the face engine alone on the same decoded images and
// compares the run's throughput with the bound it sets on this machine.
func (w *workload) printBare(stdout io.Writer, throughput float64) {
	start := time.Now()
	const rounds = 3
	for range rounds {
		for _, seq := range w.decode {
			if err := evaluation.Bare(w.engine, seq[0], seq[1:]); err != nil {
				fmt.Fprintf(stdout, "bare engine: %v\n", err)
				return
			}
		}
	}
	per := time.Since(start).Seconds() / float64(rounds*len(w.decode))
	bound := float64(runtime.GOMAXPROCS(0)) / per
	fmt.Fprintf(stdout, "bare engine: %.0f ms per verification (face match + liveness on the same images, one core); bound on %d cores %.2f/s; measured %.2f/s = %.0f %% of the bound\n",
		1000*per, runtime.GOMAXPROCS(0), bound, throughput, 100*throughput/bound)
}

func pace(o loadOptions) string {
	if o.rate > 0 {
		return fmt.Sprintf("%.2f/s started (at most %d in flight)", o.rate, o.concurrency)
	}
	return fmt.Sprintf("%d in flight", o.concurrency)
}

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
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err == nil {
				return kb / 1024
			}
		}
	}
	return -1
}

// tinyImage is a small generated picture, different per i.
func tinyImage(w, h, i int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(img, img.Bounds(), color.RGBA{200, 210, 220, 255})
	fill(img, image.Rect(w/4+i, h/4, 3*w/4+i, 3*h/4), color.RGBA{224, 172, 140, 255})
	return img
}

func jpegOf(img image.Image, q int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		return nil, fmt.Errorf("loadgen: encode: %w", err)
	}
	return buf.Bytes(), nil
}
