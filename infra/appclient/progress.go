package appclient

import (
	"fmt"
	"io"
)

// PrintProgress prints each upload's progress in quarters.
func PrintProgress(w io.Writer) Progress {
	last := map[string]int64{}
	return func(ref string, sent, total int64) {
		pct := sent * 100 / max(total, 1)
		step := pct / 25 * 25
		if prev, ok := last[ref]; ok && step <= prev {
			return
		}
		last[ref] = step
		fmt.Fprintf(w, "  uploading %-16s %3d%% of %d bytes\n", ref, step, total)
	}
}
