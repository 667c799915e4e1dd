package loadgen

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/idv-oss/idv/document/framecheck"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/face/evaluation"
)

// Bound is the throughput the bare engines allow: what each engine a
// verification runs costs per verification on one core, without broker,
// database, storage, decryption or decoding, and the cores they may share.
type Bound struct {
	Engines []EngineCost // in the order a verification's stages run them
	Cores   int
}

// EngineCost is one engine's time per verification on one core.
type EngineCost struct {
	Name string
	Per  time.Duration
}

// Per is the bare engines' time per verification on one core.
func (b Bound) Per() time.Duration {
	var d time.Duration
	for _, e := range b.Engines {
		d += e.Per
	}
	return d
}

// Rate is the verifications per second the engines allow on b.Cores cores.
func (b Bound) Rate() float64 {
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
	fmt.Fprintf(w, "bare engines: %.0f ms per verification (%s ms, on the same decoded images, one core); bound on %d cores %.2f/s; measured %.2f/s = %.0f %% of the bound\n",
		millis(b.Per()), strings.Join(parts, " + "), b.Cores, b.Rate(), throughput, share)
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// boundRounds is how often the bound runs each challenge's verification;
// one more round before them warms the engines up.
const boundRounds = 3

// bound times, one after another on one goroutine, every engine a
// verification of w runs, on the images decoded once when w was made:
// the document check's image checks as package doccheck runs them
// (framecheck: the quality gates, the OCR-B read of the MRZ and its
// comparison with the app's MRZ text) when imageChecks is not nil, the
// face match (evaluation.BareMatch of the document: the frames' faces,
// landmarks and embeddings it takes from the liveness check's measures, as
// the stages share them in one process) and liveness
// (evaluation.BareLiveness).
// It fails when any check would not pass: a bound timed on refused
// captures would be cheaper than the run it judges. The bound is for cores
// cores, or this process's GOMAXPROCS when cores is 0.
func (w *Workload) bound(imageChecks *framecheck.Config, cores int) (Bound, error) {
	var doc *framecheck.Checker
	if imageChecks != nil {
		reader, err := ocrb.NewReader()
		if err != nil {
			return Bound{}, fmt.Errorf("loadgen: bound: %w", err)
		}
		doc = framecheck.New(reader, *imageChecks)
	}
	var docT, matchT, liveT time.Duration
	n := 0
	for round := range boundRounds + 1 {
		for i, ch := range w.decoded.challenges {
			frames := w.decoded.frames[i]
			t0 := time.Now()
			if doc != nil {
				res := doc.Check(time.Now(), w.decoded.doc)
				if !res.Passed || res.Read == nil {
					return Bound{}, fmt.Errorf("loadgen: bound: document check: passed %v, reasons %v, read %v", res.Passed, res.Reasons, res.Read != nil)
				}
				if c := ocrb.Compare(res.Read, w.mrz, ocrb.CompareConfig{}); len(c.Reasons) > 0 {
					return Bound{}, fmt.Errorf("loadgen: bound: document check: MRZ read against the app's: %v", c.Reasons)
				}
			}
			t1 := time.Now()
			// The frames' faces are the liveness check's measures, shared
			// with the face match in one process (face/selfie.Analyses):
			// the face match's own work is the document's face.
			if err := evaluation.BareMatch(w.engine, w.decoded.doc, nil); err != nil {
				return Bound{}, fmt.Errorf("loadgen: bound: face match: %w", err)
			}
			t2 := time.Now()
			if err := evaluation.BareLiveness(w.engine, frames, ch); err != nil {
				return Bound{}, fmt.Errorf("loadgen: bound: liveness: %w", err)
			}
			t3 := time.Now()
			if round == 0 {
				continue // warming up
			}
			docT, matchT, liveT = docT+t1.Sub(t0), matchT+t2.Sub(t1), liveT+t3.Sub(t2)
			n++
		}
	}
	if n == 0 {
		return Bound{}, fmt.Errorf("loadgen: bound: no challenges")
	}
	b := Bound{Cores: cores}
	if cores <= 0 {
		b.Cores = runtime.GOMAXPROCS(0)
	}
	if doc != nil {
		b.Engines = append(b.Engines, EngineCost{"document check", docT / time.Duration(n)})
	}
	b.Engines = append(b.Engines, EngineCost{"face match", matchT / time.Duration(n)},
		EngineCost{"liveness", liveT / time.Duration(n)})
	return b, nil
}
