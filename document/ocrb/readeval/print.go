package readeval

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Print writes the figures as a table, one row per degradation; rows of
// Limits are marked.
func Print(w io.Writer, figs []Figures) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "degradation\tfamily\tsamples\texact %\ttrusted %\ttrusted wrong\tchars %\tms/read")
	for _, f := range figs {
		name := f.Degradation.Name
		if f.Degradation.Limit {
			name += " (limit)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%.1f\t%d\t%.2f\t%.0f\n", name, f.Degradation.Family, f.Samples,
			f.ExactRate(), f.TrustedRate(), f.TrustedWrong, f.CharRate(), float64(f.PerRead().Microseconds())/1000)
	}
	return tw.Flush()
}
