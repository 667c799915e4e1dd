package loadgen

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/idv-oss/idv/document/framecheck"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/face/evaluation"
	"github.com/idv-oss/idv/imagegate"
)

// Bound is the throughput the bare engines allow: what each engine a
// verification runs costs per verification on one core, without broker,
// database, storage, decryption or decoding, and the cores they may share.
type Bound struct {
	Engines []EngineCost // in the order a verification's stages run them
	Cores   int
	// AtOnce is a verification's engines' time on one core while every
	// core runs them (zero: not measured, or one core).
	AtOnce time.Duration
	// Decode is a verification's captures' decoding on one core, the
	// document photo and every frame once, as the stages of one process
	// decode them (imagegate.Decode): no part of the engines, and the
	// largest known part of what a verification costs outside them (zero:
	// not measured).
	Decode time.Duration
}

// EngineCost is one engine's time per verification on one core.
type EngineCost struct {
	Name string
	Per  time.Duration
}

// Per is the bare engines' time per verification on one core, the other
// cores idle.
func (b Bound) Per() time.Duration {
	var d time.Duration
	for _, e := range b.Engines {
		d += e.Per
	}
	return d
}

// Rate is the verifications per second the engines allow on b.Cores
// cores: by their time while every core runs them when that was
// measured, else by one core's time.
func (b Bound) Rate() float64 {
	if b.AtOnce > 0 {
		return float64(b.Cores) / b.AtOnce.Seconds()
	}
	return b.oneCoreRate()
}

// oneCoreRate is the rate b.Cores cores would allow if each ran the
// engines as fast as one does alone.
func (b Bound) oneCoreRate() float64 {
	if b.Per() <= 0 {
		return 0
	}
	return float64(b.Cores) / b.Per().Seconds()
}

// Print writes the bound, each engine's share of it, and throughput as a
// share of it.
func (b Bound) Print(w io.Writer, throughput float64) {
	parts := make([]string, 0, len(b.Engines))
	for _, e := range b.Engines {
		parts = append(parts, fmt.Sprintf("%s %.0f", e.Name, millis(e.Per)))
	}
	share := 0.0
	if r := b.Rate(); r > 0 {
		share = 100 * throughput / r
	}
	atOnce := ""
	if b.AtOnce > 0 {
		atOnce = fmt.Sprintf("; %.0f ms with all %d cores running them at once (%.2f/s by one core's time)",
			millis(b.AtOnce), b.Cores, b.oneCoreRate())
	}
	fmt.Fprintf(w, "bare engines: %.0f ms per verification (%s ms, on the same decoded images, one core)%s; bound on %d cores %.2f/s; measured %.2f/s = %.0f %% of the bound\n",
		millis(b.Per()), strings.Join(parts, " + "), atOnce, b.Cores, b.Rate(), throughput, share)
}

// engineCPU is the engines' CPU time per verification as the run's cores
// spend it: on every core at once where that was timed.
func (b Bound) engineCPU() time.Duration {
	if b.AtOnce > 0 {
		return b.AtOnce
	}
	return b.Per()
}

// PrintOutside writes what a verification cost the machine outside the
// engines: machinePer (every process's CPU per verification, the load
// generator's too) less the engines' CPU, and that as a share of the
// engines' work, which the target puts at a tenth at most; then
// the two largest parts of it that are known, when measured: decoding the
// captures (b.Decode) and PostgreSQL's CPU per verification (postgresMS,
// in milliseconds as the report prints it; negative: not measured).
func (b Bound) PrintOutside(w io.Writer, machinePer time.Duration, postgresMS float64) {
	engines := b.engineCPU()
	if engines <= 0 || machinePer <= 0 {
		return
	}
	outside := machinePer - engines
	share := func(d time.Duration) float64 { return 100 * float64(d) / float64(engines) }
	fmt.Fprintf(w, "outside the engines: %.0f ms of CPU per verification (every process's %.0f ms less the engines' %.0f ms) = %.0f %% of the engines' work\n",
		millis(outside), millis(machinePer), millis(engines), share(outside))
	var parts []string
	var known time.Duration
	if b.Decode > 0 {
		parts = append(parts, fmt.Sprintf("decoding the captures %.1f ms (each once, one core)", millis(b.Decode)))
		known += b.Decode
	}
	if postgresMS >= 0 {
		parts = append(parts, fmt.Sprintf("PostgreSQL %.1f ms", postgresMS))
		known += time.Duration(postgresMS * float64(time.Millisecond))
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "  of it: %s = %.0f %% of the engines' work\n", strings.Join(parts, " + "), share(known))
	}
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// boundRounds is how often the bound runs each challenge's verification;
// one more round before them warms the engines up.
const boundRounds = 3

// bound times every engine a verification of w runs, on the images
// decoded once when w was made: the document check's image checks as
// package doccheck runs them (framecheck: the quality gates, the OCR-B
// read of the MRZ and its comparison with the app's MRZ text) when
// imageChecks is not nil, the face match (evaluation.BareMatch of the
// document: the frames' faces, landmarks and embeddings it takes from the
// liveness check's measures, as the stages share them in one process) and
// liveness (evaluation.BareLiveness, measuring frames as liveness
// measures them: the system's challenge.Config). It times each engine one
// verification after another on one goroutine, then, with more than one
// core, whole verifications on as many goroutines as cores at once (the
// engines' own throughput when every core runs them: cores share caches,
// memory and clock, so it is less than one core's times the cores).
// It fails when any check would not pass: a bound timed on refused
// captures would be cheaper than the run it judges. The bound is for cores
// cores, or this process's GOMAXPROCS when cores is 0.
func (w *Workload) bound(imageChecks *framecheck.Config, liveness challenge.Config, cores int) (Bound, error) {
	e := engines{liveness: liveness}
	if imageChecks != nil {
		reader, err := ocrb.NewReader()
		if err != nil {
			return Bound{}, fmt.Errorf("loadgen: bound: %w", err)
		}
		e.doc = framecheck.New(reader, *imageChecks)
	}
	if len(w.decoded.challenges) == 0 {
		return Bound{}, fmt.Errorf("loadgen: bound: no challenges")
	}
	var sum engineTimes
	var decode time.Duration
	n := 0
	for round := range boundRounds + 1 {
		for i := range w.decoded.challenges {
			t, err := w.runEngines(e, i)
			if err != nil {
				return Bound{}, err
			}
			d, err := w.decodeCaptures(i)
			if err != nil {
				return Bound{}, err
			}
			if round > 0 { // round 0 warms the engines up
				sum, decode, n = sum.add(t), decode+d, n+1
			}
		}
	}
	b := Bound{Cores: cores, Decode: decode / time.Duration(n)}
	if cores <= 0 {
		b.Cores = runtime.GOMAXPROCS(0)
	}
	if e.doc != nil {
		b.Engines = append(b.Engines, EngineCost{"document check", sum[0] / time.Duration(n)})
	}
	b.Engines = append(b.Engines, EngineCost{"face match", sum[1] / time.Duration(n)},
		EngineCost{"liveness", sum[2] / time.Duration(n)})
	if b.Cores > 1 {
		var err error
		if b.AtOnce, err = w.atOnce(e, b.Cores, boundRounds*len(w.decoded.challenges)); err != nil {
			return Bound{}, err
		}
	}
	return b, nil
}

// atOnce runs each of perCore×cores verifications' engines once, on cores
// goroutines that take the next one as they finish the last, and returns
// the time per verification on one core: the goroutines' busy time
// together over the verifications. (Only the last verification of each
// can run with fewer cores busy, which if anything makes the figure the
// faster one alone would give, and the bound higher.)
func (w *Workload) atOnce(e engines, cores, perCore int) (time.Duration, error) {
	type result struct {
		busy time.Duration
		err  error
	}
	total := perCore * cores
	var next atomic.Int64
	results := make(chan result, cores)
	for range cores {
		go func() {
			start := time.Now()
			for {
				k := int(next.Add(1)) - 1
				if k >= total {
					results <- result{busy: time.Since(start)}
					return
				}
				if _, err := w.runEngines(e, k%len(w.decoded.challenges)); err != nil {
					next.Store(int64(total)) // the others stop at their next verification
					results <- result{err: err}
					return
				}
			}
		}()
	}
	var busy time.Duration
	var first error
	for range cores {
		r := <-results
		busy += r.busy
		if r.err != nil && first == nil {
			first = r.err
		}
	}
	if first != nil {
		return 0, first
	}
	return busy / time.Duration(total), nil
}

// decodeCaptures decodes the captures of the verification of challenge i,
// the document photo and its frames, as a stage decodes them, and returns
// the time it took.
func (w *Workload) decodeCaptures(i int) (time.Duration, error) {
	frames := w.frames[strings.Join(w.decoded.challenges[i].Steps, " ")]
	start := time.Now()
	for k, data := range append([][]byte{w.doc}, frames...) {
		if _, reason := imagegate.Decode(data, imagegate.DefaultMaxPixels); reason != "" {
			return 0, fmt.Errorf("loadgen: bound: decode capture %d of challenge %d: %s", k, i, reason)
		}
	}
	return time.Since(start), nil
}

// engines are the engines the bound runs besides the face engine: the
// document check's image checks (nil when they are off) and how liveness
// measures frames.
type engines struct {
	doc      *framecheck.Checker
	liveness challenge.Config
}

// engineTimes are one verification's times in the document check, the
// face match and liveness.
type engineTimes [3]time.Duration

func (t engineTimes) add(u engineTimes) engineTimes {
	return engineTimes{t[0] + u[0], t[1] + u[1], t[2] + u[2]}
}

// runEngines runs every engine of the verification of challenge i (the
// document check only when doc is not nil) and times each. The frames'
// faces are the liveness check's measures, shared with the face match in
// one process (face/selfie.Analyses): the face match's own work is the
// document's face.
func (w *Workload) runEngines(e engines, i int) (engineTimes, error) {
	ch, frames := w.decoded.challenges[i], w.decoded.frames[i]
	t0 := time.Now()
	if e.doc != nil {
		res := e.doc.Check(time.Now(), w.decoded.doc)
		if !res.Passed || res.Read == nil {
			return engineTimes{}, fmt.Errorf("loadgen: bound: document check: passed %v, reasons %v, read %v", res.Passed, res.Reasons, res.Read != nil)
		}
		if c := ocrb.Compare(res.Read, w.mrz, ocrb.CompareConfig{}); len(c.Reasons) > 0 {
			return engineTimes{}, fmt.Errorf("loadgen: bound: document check: MRZ read against the app's: %v", c.Reasons)
		}
	}
	t1 := time.Now()
	if err := evaluation.BareMatch(w.engine, w.decoded.doc, nil); err != nil {
		return engineTimes{}, fmt.Errorf("loadgen: bound: face match: %w", err)
	}
	t2 := time.Now()
	if err := evaluation.BareLiveness(w.engine, frames, ch, e.liveness); err != nil {
		return engineTimes{}, fmt.Errorf("loadgen: bound: liveness: %w", err)
	}
	return engineTimes{t1.Sub(t0), t2.Sub(t1), time.Since(t2)}, nil
}
