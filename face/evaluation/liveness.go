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
	"github.com/idv-oss/idv/face/reflection"
	"github.com/idv-oss/idv/face/synth"
	"github.com/idv-oss/idv/progress"
	"github.com/idv-oss/idv/schemas"
)

// Case is the label of one liveness input, DIR/<case>/case.json, beside
// its frames (read in name order: 0.png, 1.png, …).
type Case struct {
	Steps []string `json:"steps"` // the challenge
	// Live marks a bona fide presentation: the person, there, performing
	// the challenge. Every other case is an attack.
	Live bool `json:"live"`
	// Kind names the attack type (Attacks) or KindBonaFide, to count
	// errors per kind.
	Kind string `json:"kind"`
	// Render and Quality record how a generated case was drawn (JPEG
	// quality of its frames); absent on real captures.
	Render  *synth.Render `json:"render,omitempty"`
	Quality int           `json:"quality,omitempty"`
	// Light is the light sequence the case's session drew, for a case of
	// the light challenge: its light frames are in light/ (0.jpg, …),
	// taken at LightTiming (ms on the sequence's clock). Reflection is
	// the strength a generated case was lit with (0: none).
	Light       *schemas.LightSequence `json:"light,omitempty"`
	LightTiming []int                  `json:"light_timing,omitempty"`
	Reflection  float64                `json:"reflection,omitempty"`
}

// measured is one case with its frames measured once.
type measured struct {
	name   string
	label  Case
	frames []challenge.Frame
	// unusable is set when a frame gave no usable face; such a case is
	// judged by that reason alone, as in the stage.
	unusable string
	// light are the light frames measured (a light case), lightUnusable
	// the reason of one without a usable face.
	light         []reflection.Frame
	lightUnusable string
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
		// The passive model runs here, though the stage runs it only with
		// IDV_LIVENESS_PASSIVE: the scorecard reports its scores' spans.
		fr, reason, err := challenge.Measure(e, img, challenge.Config{Passive: true})
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
	return m, measureLight(e, dir, &m)
}

// measureLight measures a light case's light frames, in light/.
func measureLight(e challenge.Engine, dir string, m *measured) error {
	if m.label.Light == nil {
		return nil
	}
	if err := m.label.Light.Validate(); err != nil {
		return fmt.Errorf("evaluation: %s/case.json: %w", dir, err)
	}
	files, err := images(lightDir(dir))
	if err != nil {
		return err
	}
	for i, f := range files {
		img, err := loadImage(f)
		if err != nil {
			return err
		}
		fr, reason, err := reflection.Measure(e, img, reflection.Config{})
		if err != nil {
			return fmt.Errorf("evaluation: %s: %w", f, err)
		}
		if reason != "" {
			m.lightUnusable = reason
			continue
		}
		fr.Index, fr.Ms = i, -1
		if i < len(m.label.LightTiming) {
			fr.Ms = m.label.LightTiming[i]
		}
		m.light = append(m.light, fr)
	}
	return nil
}

// judge returns whether a case passes under cfg, and why not.
func (m measured) judge(cfg challenge.Config) (bool, []string) {
	if m.unusable != "" {
		return false, []string{m.unusable}
	}
	v := challenge.Judge(m.frames, schemas.Challenge{Steps: m.label.Steps}, cfg)
	reasons := slices.Concat(v.Reasons, m.judgeLight(reflection.Config{}))
	slices.Sort(reasons)
	reasons = slices.Compact(reasons)
	// No reason is the one verdict the stage passes (liveness.Outcome).
	return len(reasons) == 0, reasons
}

// Rates returns, under cfg, the bona fide presentation classification
// error rate (BPCER: bona fide cases not passed, all bona fide kinds
// together) and, per attack kind, the attack presentation classification
// error rate (APCER: attacks passed).
func (r *Liveness) Rates(cfg challenge.Config) (bpcer Rate, apcer map[string]Rate) {
	apcer = map[string]Rate{}
	for _, m := range r.cases {
		pass, _ := m.judge(cfg)
		if m.label.Live {
			bpcer.Trials++
			if !pass {
				bpcer.Errors++
			}
			continue
		}
		a := apcer[m.label.Kind]
		a.Trials++
		if pass {
			a.Errors++
		}
		apcer[m.label.Kind] = a
	}
	return bpcer, apcer
}

// Print writes the scorecard (PrintScorecard), then the spread of the
// signals the thresholds cut, per kind.
func (r *Liveness) Print(w io.Writer) {
	r.PrintScorecard(w)
	fmt.Fprintln(w)
	r.printMargins(w)
}

// PrintScorecard writes, at the default thresholds, the APCER of every
// attack type in the catalogue (Attacks, then any other attack kind among
// the cases) and the BPCER of the bona fide cases, each with the reasons
// given; then BPCER and the attack types passing per turn and per blink
// threshold. Rates under 100 trials are counts only.
func (r *Liveness) PrintScorecard(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "attack type\tAPCER\treasons (default thresholds)")
	for _, a := range r.attackTypes() {
		if a.Unmeasured != "" {
			fmt.Fprintf(tw, "%s\t–\t%s\n", a.Kind, a.Unmeasured)
			continue
		}
		rate, reasons := r.kindAtDefaults(a.Kind, false)
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.Kind, rate.Counts(), reasons)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "bona fide\tBPCER\treasons (default thresholds)")
	for _, k := range r.kinds(true) {
		rate, reasons := r.kindAtDefaults(k, true)
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k, rate.Counts(), reasons)
	}
	tw.Flush()
	fmt.Fprintln(w)
	r.sweep(w, "turn threshold (°)", []float64{10, 15, 20, 25}, func(v float64) challenge.Config {
		return challenge.Config{TurnYaw: v}
	})
	fmt.Fprintln(w)
	r.sweep(w, "blink threshold", []float64{0.3, 0.5, 0.7, 0.9}, func(v float64) challenge.Config {
		return challenge.Config{Blink: v}
	})
}

// attackTypes is the catalogue, then the attack kinds among the cases it
// does not name, by name.
func (r *Liveness) attackTypes() []AttackType {
	out := slices.Clone(Attacks)
	for _, k := range r.kinds(false) {
		if !slices.ContainsFunc(Attacks, func(a AttackType) bool { return a.Kind == k }) {
			out = append(out, AttackType{Kind: k})
		}
	}
	return out
}

// kinds lists the kinds of the bona fide (live) or attack cases, by name.
func (r *Liveness) kinds(live bool) []string {
	var out []string
	for _, m := range r.cases {
		if m.label.Live == live && !slices.Contains(out, m.label.Kind) {
			out = append(out, m.label.Kind)
		}
	}
	slices.Sort(out)
	return out
}

// kindAtDefaults returns the error rate of one kind's cases at the default
// thresholds (bona fide not passed, or attacks passed) and the reasons
// given, counted.
func (r *Liveness) kindAtDefaults(kind string, live bool) (Rate, string) {
	var rate Rate
	reasons := map[string]int{}
	for _, m := range r.cases {
		if m.label.Kind != kind || m.label.Live != live {
			continue
		}
		ok, rs := m.judge(challenge.Config{})
		rate.Trials++
		if ok != live {
			rate.Errors++
		}
		for _, x := range rs {
			reasons[x]++
		}
	}
	return rate, countList(reasons)
}

// sweep writes BPCER and the attack types with APCER above zero per value
// of one threshold.
func (r *Liveness) sweep(w io.Writer, what string, values []float64, cfg func(float64) challenge.Config) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tBPCER\tattack types passing (APCER)\n", what)
	for _, v := range values {
		bpcer, apcer := r.Rates(cfg(v))
		passing := ""
		for _, a := range r.attackTypes() {
			if rate := apcer[a.Kind]; rate.Errors > 0 {
				passing += fmt.Sprintf(", %s %s", a.Kind, rate.Counts())
			}
		}
		if passing == "" {
			passing = ", none"
		}
		fmt.Fprintf(tw, "%g\t%s\t%s\n", v, bpcer.Counts(), passing[2:])
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
// difference between two frames' face crops, the largest |yaw|, and for
// light cases the smallest chromatic shift and lowest cosine to the drawn
// colour's shift over their segments.
func (r *Liveness) printMargins(w io.Writer) {
	type span struct{ lo, hi float64 }
	widen := func(s *span, v float64) { s.lo, s.hi = math.Min(s.lo, v), math.Max(s.hi, v) }
	fresh := func() span { return span{math.Inf(1), math.Inf(-1)} }
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "kind\tmin same-person cosine\tmin frame difference (grey levels)\tmax |yaw| (°)\tmax closure (both eyes)\tpassive score (advisory)\tmin light shift\tmin light cosine")
	var order []string
	for _, a := range r.attackTypes() {
		order = append(order, a.Kind)
	}
	order = append(r.kinds(true), order...)
	spans := map[string]*[7]span{}
	for _, m := range r.cases {
		k := m.label.Kind
		if spans[k] == nil {
			spans[k] = &[7]span{fresh(), fresh(), fresh(), fresh(), fresh(), fresh(), fresh()}
		}
		sp := spans[k]
		if m.label.Light != nil && len(m.frames) > 0 && len(m.light) > 0 {
			v := reflection.Judge(m.light, m.frames[0].Embedding, *m.label.Light, reflection.Config{})
			widen(&sp[5], v.Shift)
			widen(&sp[6], v.Cosine)
		}
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
		if sp == nil {
			continue
		}
		light := "–\t–"
		if !math.IsInf(sp[5].lo, 1) {
			light = fmt.Sprintf("%.3f\t%.2f", sp[5].lo, sp[6].lo)
		}
		fmt.Fprintf(tw, "%s\t%.3f\t%.2f\t%.1f\t%.2f\t%.2f–%.2f\t%s\n", k, sp[0].lo, sp[1].lo, sp[2].hi, sp[3].hi, sp[4].lo, sp[4].hi, light)
	}
	tw.Flush()
}
