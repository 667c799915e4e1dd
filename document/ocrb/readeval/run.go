package readeval

import (
	"errors"
	"fmt"
	"image"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/idv-oss/idv/document/ocrb"
)

// Run reads n samples of every degradation in ds (those Samples makes for
// seed) and returns their figures in the order of ds. Each card is
// rendered once for all the degradations of it, and as many cards are
// worked on at once as there are processors, so a reading's time is
// measured while others run. A line goes to progress as each card is done.
func Run(r *ocrb.Reader, ds []Degradation, n int, seed uint64, progress io.Writer) ([]Figures, error) {
	if n < 1 {
		return nil, fmt.Errorf("readeval: %d samples; want at least 1", n)
	}
	now := time.Now()
	start := now
	texts := mrzs(n, seed)
	outcomes := make([][]Outcome, len(ds)) // [degradation][sample]
	took := make([][]time.Duration, len(ds))
	for j := range ds {
		outcomes[j] = make([]Outcome, n)
		took[j] = make([]time.Duration, n)
	}
	next := make(chan int)
	errs := make([]error, n)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
	)
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for i := range next {
				errs[i] = readCard(r, ds, texts[i], i, seed, now, outcomes, took)
				mu.Lock()
				done++
				fmt.Fprintf(progress, "read %d of %d cards under %d degradations (%.0f s)\n", done, n, len(ds), time.Since(start).Seconds())
				mu.Unlock()
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	figs := make([]Figures, len(ds))
	for j, d := range ds {
		figs[j].Degradation = d
		for i := range n {
			figs[j].Add(outcomes[j][i], took[j][i])
		}
	}
	return figs, nil
}

// readCard renders card i (once per print weight), degrades it by every
// degradation, reads and judges it, into column i of outcomes and took.
func readCard(r *ocrb.Reader, ds []Degradation, lines []string, i int, seed uint64, now time.Time, outcomes [][]Outcome, took [][]time.Duration) error {
	rendered := map[int]image.Image{}
	for j, d := range ds {
		img, ok := rendered[d.weight]
		if !ok {
			var err error
			if img, err = render(lines, i, seed, d.weight); err != nil {
				return err
			}
			rendered[d.weight] = img
		}
		s, err := d.sample(img, lines, i)
		if err != nil {
			return err
		}
		begin := time.Now()
		res, err := r.Read(s.Image)
		took[j][i] = time.Since(begin)
		if errors.Is(err, ocrb.ErrNoMRZ) {
			res = nil
		} else if err != nil {
			return fmt.Errorf("readeval: read %s sample %d: %w", d.Name, i, err)
		}
		outcomes[j][i] = Judge(lines, res, now)
	}
	return nil
}
