package readeval

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/idv-oss/idv/document/ocrb"
)

// Confidences collects what the reader said of the characters it read, to
// set ocrb.Trusted's thresholds by: how sure it was of each, and how far
// it led a runner-up that is a check-digit blind pair (ocrb.Suspect).
type Confidences struct {
	Confidence  []float64
	BlindMargin []float64
}

func (c *Confidences) add(ch ocrb.Char) {
	c.Confidence = append(c.Confidence, ch.Confidence)
	if ocrb.Suspect(ch.Char, ch.Runner) {
		c.BlindMargin = append(c.BlindMargin, ch.Confidence-ch.RunnerConfidence)
	}
}

func (c *Confidences) merge(o Confidences) {
	c.Confidence = append(c.Confidence, o.Confidence...)
	c.BlindMargin = append(c.BlindMargin, o.BlindMargin...)
}

// PrintConfidences writes the spread of the confidence and blind-pair
// margin of the characters read right and read wrong, over all figs: a
// threshold between the two spreads trusts right characters and not
// wrong ones.
func PrintConfidences(w io.Writer, figs []Figures) error {
	var right, wrong Confidences
	for _, f := range figs {
		right.merge(f.Right)
		wrong.merge(f.Wrong)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "characters\tmeasure\tcount\tmin\tp1\tp5\tp50\tp95\tp99\tmax")
	for _, row := range []struct {
		chars, measure string
		v              []float64
	}{
		{"read right", "confidence", right.Confidence},
		{"read wrong", "confidence", wrong.Confidence},
		{"read right", "blind-pair margin", right.BlindMargin},
		{"read wrong", "blind-pair margin", wrong.BlindMargin},
	} {
		fmt.Fprintf(tw, "%s\t%s\t%d", row.chars, row.measure, len(row.v))
		v := slices.Sorted(slices.Values(row.v))
		for _, p := range []float64{0, 0.01, 0.05, 0.5, 0.95, 0.99, 1} {
			if len(v) == 0 {
				fmt.Fprint(tw, "\t-")
				continue
			}
			fmt.Fprintf(tw, "\t%.3f", v[int(p*float64(len(v)-1))])
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
