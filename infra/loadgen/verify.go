package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/schemas"
)

// verify runs one verification and measures it.
func verify(ctx context.Context, cfg Config) Sample {
	var s Sample
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	var created struct {
		ID       string `json:"id"`
		AppToken string `json:"app_token"`
	}
	if s.Err = call(ctx, cfg, http.MethodPost, "/v1/sessions", map[string]any{"checks": cfg.Checks}, &created); s.Err != nil {
		return s
	}
	s.SessionID = created.ID
	hook := cfg.Await(created.ID, schemas.WebhookSessionDecided)
	app := appclient.New(cfg.APIURL, created.AppToken, cfg.HTTP)
	began := time.Now()
	sess, err := app.Session(ctx)
	if err != nil {
		s.Err = err
		return s
	}
	caps, err := cfg.Captures(sess.Challenge)
	if err != nil {
		s.Err = err
		return s
	}
	if s.Err = app.SealAndUpload(ctx, sess, caps, nil); s.Err != nil {
		return s
	}
	submit := time.Now()
	if _, s.Err = app.Submit(ctx); s.Err != nil {
		return s
	}
	s.Upload = time.Since(began)
	var arrived time.Time
	select {
	case arrived = <-hook:
	case <-ctx.Done():
		s.Err = fmt.Errorf("session %s: no webhook within %s", created.ID, cfg.Timeout)
		return s
	}
	s.EndToEnd = arrived.Sub(submit)
	s.Err = s.stages(ctx, cfg, arrived)
	return s
}

// stages reads the session's timestamps and derives each stage's latency.
func (s *Sample) stages(ctx context.Context, cfg Config, arrived time.Time) error {
	var got struct {
		Decision    string     `json:"decision"`
		SubmittedAt *time.Time `json:"submitted_at"`
		DecidedAt   *time.Time `json:"decided_at"`
		Results     []struct {
			Check       string    `json:"check"`
			CompletedAt time.Time `json:"completed_at"`
		} `json:"results"`
	}
	if err := call(ctx, cfg, http.MethodGet, "/v1/sessions/"+s.SessionID, nil, &got); err != nil {
		return err
	}
	if got.SubmittedAt == nil || got.DecidedAt == nil {
		return fmt.Errorf("session %s: webhook before submitted_at and decided_at", s.SessionID)
	}
	s.Decision = got.Decision
	s.Checks = map[string]time.Duration{}
	last := *got.SubmittedAt
	for _, r := range got.Results {
		s.Checks[r.Check] = r.CompletedAt.Sub(*got.SubmittedAt)
		if r.CompletedAt.After(last) {
			last = r.CompletedAt
		}
	}
	s.Decide = got.DecidedAt.Sub(last)
	s.Notify = arrived.Sub(*got.DecidedAt)
	return nil
}

// call is one customer API request with the tenant's key.
func call(ctx context.Context, cfg Config, method, path string, body, out any) error {
	return Call(ctx, cfg.HTTP, method, cfg.APIURL+path, cfg.APIKey, body, out)
}

// Call sends one customer API request to url with the tenant's API key: the
// body, when not nil, as JSON; the answer, when out is not nil, decoded
// into out. A status of 300 or more is an error quoting the answer.
func Call(ctx context.Context, client *http.Client, method, url, apiKey string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	// Read to its end (a body nobody asked to decode, such as the
	// erasure's answer), so that the connection goes back to the client's
	// pool rather than closed.
	defer func() {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("%s %s: HTTP %d: %s", method, url, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode: %w", method, url, err)
	}
	return nil
}
