// Package loadgen drives verifications through a running IDV as a
// customer's backend and its users' apps would — create a session, seal and
// upload the captures, submit, wait for the signed webhook — at a rate or a
// concurrency, and measures each one: end to end (submit to webhook) and per
// stage, from the timestamps the API returns (submitted_at, each check's
// completed_at, decided_at). Its workloads (Tiny, Real) make the same
// verification every time, and Measure reports a run of one with this
// process's CPU time and memory. `idv loadgen` runs it against the whole
// system in one process.
package loadgen

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/progress"
	"github.com/idv-oss/idv/schemas"
)

// Config says what load to make.
type Config struct {
	APIURL, APIKey string
	Checks         []string // the checks each session asks for
	N              int      // verifications
	// Rate starts verifications at this many per second; 0 starts the next
	// as soon as fewer than Concurrency are in flight.
	Rate        float64
	Concurrency int // in flight at most; default 4
	// Captures returns the plaintext captures for a session, which must
	// perform ch when the session asks for liveness.
	Captures func(ch *schemas.Challenge) ([]appclient.Capture, error)
	// Await returns a channel that receives the arrival time of the signed
	// webhook of type typ about session id.
	Await    func(sessionID, typ string) <-chan time.Time
	Timeout  time.Duration // per verification; default 2 minutes
	Progress io.Writer     // progress: redrawn on a terminal, a line a tenth elsewhere; nil for none
	HTTP     *http.Client
}

func (c Config) withDefaults() (Config, error) {
	if c.N <= 0 || c.Captures == nil || c.Await == nil || c.APIURL == "" || len(c.Checks) == 0 {
		return c, errors.New("loadgen: N, Checks, Captures, Await and APIURL are required")
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Minute
	}
	if c.HTTP == nil {
		// Each verification in flight talks to the API and to the store
		// at once, as an app and its customer would over connections of
		// their own: keep that many open (http.DefaultTransport keeps 2
		// a host, and the rest were dialled anew for every request).
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 2 * c.Concurrency
		t.MaxIdleConns = 4 * c.Concurrency
		c.HTTP = &http.Client{Timeout: time.Minute, Transport: t}
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	return c, nil
}

// Sample is one verification's measurements.
type Sample struct {
	SessionID string
	Decision  string
	Err       error
	Upload    time.Duration            // session read, seal, upload, submit (the app's part)
	EndToEnd  time.Duration            // submit request to webhook arrival
	Checks    map[string]time.Duration // submitted_at → each check's completed_at
	Decide    time.Duration            // last check → decided_at
	Notify    time.Duration            // decided_at → webhook arrival
}

// Run makes the load and returns every sample, in the order started.
func Run(ctx context.Context, cfg Config) ([]Sample, time.Duration, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, 0, err
	}
	// Idle keep-alive connections would hold up the server's shutdown.
	defer cfg.HTTP.CloseIdleConnections()
	samples := make([]Sample, cfg.N)
	sem := make(chan struct{}, cfg.Concurrency)
	var wg sync.WaitGroup
	done := meter{m: progress.New(cfg.Progress)}
	start := time.Now()
	var tick *time.Ticker
	if cfg.Rate > 0 {
		tick = time.NewTicker(time.Duration(float64(time.Second) / cfg.Rate))
		defer tick.Stop()
	}
	for i := range samples {
		if tick != nil && i > 0 {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return nil, 0, ctx.Err()
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			samples[i] = verify(ctx, cfg)
			done.add(cfg.N, samples[i].Err != nil, time.Since(start))
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	done.m.Done()
	return samples, elapsed, nil
}

// meter shows "[####......] 40/100 verifications, 2 failed, 12.3/s": on a
// terminal redrawn as verifications end, elsewhere a line at each tenth.
type meter struct {
	m            *progress.Meter
	mu           sync.Mutex
	done, failed int
}

func (p *meter) add(total int, failed bool, elapsed time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if failed {
		p.failed++
	}
	const width = 30
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = '.'
		if i < p.done*width/total {
			bar[i] = '#'
		}
	}
	show := p.m.Frame
	if progress.Tenth(p.done, total) {
		show = p.m.Step
	}
	show("[%s] %d/%d verifications, %d failed, %.1f/s", bar, p.done, total, p.failed, float64(p.done)/elapsed.Seconds())
}
