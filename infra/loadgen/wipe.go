package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/idv-oss/idv/progress"
	"github.com/idv-oss/idv/schemas"
)

// Wipe asks for the erasure of every session at once (DELETE
// /v1/sessions/{id}, Concurrency at a time) and waits for each one's
// session.deleted webhook, which the wipe stage's work precedes. It returns
// the time from the first request to the last webhook.
func Wipe(ctx context.Context, cfg Config, ids []string) (time.Duration, error) {
	cfg.N = max(len(ids), 1)
	cfg, err := cfg.withDefaults()
	if err != nil {
		return 0, err
	}
	defer cfg.HTTP.CloseIdleConnections()
	hooks := make([]<-chan time.Time, len(ids))
	for i, id := range ids {
		hooks[i] = cfg.Await(id, schemas.WebhookSessionDeleted)
	}
	start := time.Now()
	sem := make(chan struct{}, cfg.Concurrency)
	errs := make(chan error, len(ids))
	var wg sync.WaitGroup
	for _, id := range ids {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := call(ctx, cfg, http.MethodDelete, "/v1/sessions/"+id, nil, nil); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return 0, fmt.Errorf("loadgen: erase: %w", err)
	}
	deadline := time.After(cfg.Timeout)
	var last time.Time
	m := progress.New(cfg.Progress)
	for i, h := range hooks {
		select {
		case t := <-h:
			if t.After(last) {
				last = t
			}
			show := m.Frame
			if progress.Tenth(i+1, len(ids)) {
				show = m.Step
			}
			show("wiped %d/%d sessions", i+1, len(ids))
		case <-deadline:
			return 0, fmt.Errorf("loadgen: session %s: no session.deleted webhook within %s", ids[i], cfg.Timeout)
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	m.Done()
	return last.Sub(start), nil
}
