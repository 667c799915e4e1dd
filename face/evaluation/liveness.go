package evaluation

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"

	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/progress"
	"github.com/idv-oss/idv/schemas"
)

// Case is the label of one liveness input, DIR/<case>/case.json, beside
// its frames (read in name order: 0.png, 1.png, …).
type Case struct {
	Steps []string `json:"steps"` // the challenge
	Live  bool     `json:"live"`  // whether the frames perform it honestly
	// Kind names the attack (or "live"), to count errors per kind.
	Kind string `json:"kind"`
}

// measured is one case with its frames measured once.
type measured struct {
	name   string
	label  Case
	frames []challenge.Frame
	// unusable is set when a frame gave no usable face; such a case is
	// judged by that reason alone, as in the stage.
	unusable string
}

// Liveness is the liveness evaluation: each case's frames measured once,
// then judged under several configurations.
type Liveness struct{ cases []measured }

// EvalLiveness measures every case under dir. Progress goes to w (package
// progress: a line per tenth of the cases off a terminal).
func EvalLiveness(e challenge.Engine, dir string, w io.Writer) (*Liveness, error) {
	names, err := subdirs(dir)
	if err != nil {
		return nil, err
	}
	r := &Liveness{}
	meter := progress.New(w)
	for i, name := range names {
		m, err := measureCase(e, filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		m.name = name
		r.cases = append(r.cases, m)
		show := meter.Frame
		if progress.Tenth(i+1, len(names)) {
			show = meter.Step
		}
		show("measured %d/%d cases", i+1, len(names))
	}
	meter.Done()
	return r, nil
}

func measureCase(e challenge.Engine, dir string) (measured, error) {
	var m measured
	b, err := os.ReadFile(filepath.Join(dir, "case.json"))
	if err != nil {
		return m, fmt.Errorf("evaluation: %w", err)
	}
	if err := json.Unmarshal(b, &m.label); err != nil {
		return m, fmt.Errorf("evaluation: %s/case.json: %w", dir, err)
	}
	if err := (schemas.Challenge{Steps: m.label.Steps}).Validate(); err != nil {
		return m, fmt.Errorf("evaluation: %s/case.json: %w", dir, err)
	}
	files, err := images(dir)
	if err != nil {
		return m, err
	}
	for i, f := range files {
		img, err := loadImage(f)
		if err != nil {
			return m, err
		}
		fr, reason, err := challenge.Measure(e, img, challenge.Config{})
		if err != nil {
			return m, fmt.Errorf("evaluation: %s: %w", f, err)
		}
		if reason != "" {
			m.unusable = reason
			continue
		}
		fr.Index = i
		m.frames = append(m.frames, fr)
	}
	return m, nil
}

// judge returns whether a case passes under cfg, and why not.
func (m measured) judge(cfg challenge.Config) (bool, []string) {
	if m.unusable != "" {
		return false, []string{m.unusable}
	}
	v := challenge.Judge(m.frames, schemas.Challenge{Steps: m.label.Steps}, cfg)
	// No reason is the one verdict the stage passes (liveness.Outcome).
	return len(v.Reasons) == 0, v.Reasons
}

// Rates returns the false accept rate (attacks passed) and false reject
// rate (live cases not passed) under cfg.
func (r *Liveness) Rates(cfg challenge.Config) (far, frr Rate) {
	for _, m := range r.cases {
		pass, _ := m.judge(cfg)
		if m.label.Live {
			frr.Trials++
			if !pass {
				frr.Errors++
			}
		} else {
			far.Trials++
			if pass {
				far.Errors++
			}
		}
	}
	return far, frr
}

// Print writes the per-kind results under the defaults, then FAR and FRR
// per turn threshold and per blink threshold.
func (r *Liveness) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "kind\tcases\tpassed\treasons (default thresholds)")
	kinds := map[string][]measured{}
	var order []string
	for _, m := range r.cases {
		if _, ok := kinds[m.label.Kind]; !ok {
			order = append(order, m.label.Kind)
		}
		kinds[m.label.Kind] = append(kinds[m.label.Kind], m)
	}
	for _, k := range order {
		passed := 0
		reasons := map[string]int{}
		for _, m := range kinds[k] {
			ok, rs := m.judge(challenge.Config{})
			if ok {
				passed++
			}
			for _, x := range rs {
				reasons[x]++
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", k, len(kinds[k]), passed, countList(reasons))
	}
	tw.Flush()
	fmt.Fprintln(w)
	r.printMargins(w)
	fmt.Fprintln(w)
	table(w, "turn threshold (°)", []float64{10, 15, 20, 25}, func(v float64) challenge.Config {
		return challenge.Config{TurnYaw: v}
	}, r)
	fmt.Fprintln(w)
	table(w, "blink threshold", []float64{0.3, 0.5, 0.7, 0.9}, func(v float64) challenge.Config {
		return challenge.Config{Blink: v}
	}, r)
}

func table(w io.Writer, what string, values []float64, cfg func(float64) challenge.Config, r *Liveness) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tFAR (attack passed)\tFRR (live rejected)\n", what)
	for _, v := range values {
		far, frr := r.Rates(cfg(v))
		fmt.Fprintf(tw, "%g\t%s\t%s\n", v, far, frr)
	}
	tw.Flush()
}

func countList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s×%d", k, m[k])
	}
	if s == "" {
		return "–"
	}
	return s
}

// printMargins writes, per kind, the spread of the signals the thresholds
// cut: the lowest same-person similarity to frame 0, the smallest
// difference between two frames' face crops, and the largest |yaw|.
func (r *Liveness) printMargins(w io.Writer) {
	type span struct{ lo, hi float64 }
	widen := func(s *span, v float64) { s.lo, s.hi = math.Min(s.lo, v), math.Max(s.hi, v) }
	fresh := func() span { return span{math.Inf(1), math.Inf(-1)} }
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "kind\tmin same-person cosine\tmin frame difference (grey levels)\tmax |yaw| (°)\tmax closure (both eyes)\tpassive score (advisory)")
	var order []string
	spans := map[string]*[5]span{}
	for _, m := range r.cases {
		k := m.label.Kind
		if spans[k] == nil {
			spans[k] = &[5]span{fresh(), fresh(), fresh(), fresh(), fresh()}
			order = append(order, k)
		}
		sp := spans[k]
		for i, f := range m.frames {
			if i > 0 {
				widen(&sp[0], face.Cosine(m.frames[0].Embedding, f.Embedding))
			}
			for _, g := range m.frames[i+1:] {
				widen(&sp[1], face.MeanAbsDiff(f.Thumbnail, g.Thumbnail))
			}
			widen(&sp[2], math.Abs(f.Yaw))
			widen(&sp[3], math.Min(f.Eyes.Left, f.Eyes.Right))
			widen(&sp[4], f.Passive)
		}
	}
	for _, k := range order {
		sp := spans[k]
		fmt.Fprintf(tw, "%s\t%.3f\t%.2f\t%.1f\t%.2f\t%.2f–%.2f\n", k, sp[0].lo, sp[1].lo, sp[2].hi, sp[3].hi, sp[4].lo, sp[4].hi)
	}
	tw.Flush()
}
