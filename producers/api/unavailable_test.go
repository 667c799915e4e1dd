package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/producers/api"
)

// A store that cannot be reached is the client's cue to retry, not an
// internal fault: 503 unavailable with Retry-After, nothing submitted, and
// the same request succeeds once the store answers again.
func TestUnreachableStoreIsUnavailable(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	s, app, sess := b.openSession(b.a.APIKey)
	if err := app.SealAndUpload(ctx, sess, captures(3), nil); err != nil {
		t.Fatal(err)
	}

	// The same API over an object store whose port refuses connections.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	store, err := objects.New(objects.Config{Endpoint: dead, Region: "us-east-1", AccessKey: "idv", SecretKey: "idv-secret", Bucket: "gone"})
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(b.stores, b.vault, store, slog.New(slog.NewTextHandler(io.Discard, nil)),
		api.NewMetrics(prometheus.NewRegistry()), api.Config{Now: b.clock.Now, AppTokenTTL: time.Hour})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	cut := &http.Client{Transport: newContractTransport(t, ts.URL)}

	req, _ := http.NewRequest("POST", ts.URL+"/v1/app/session/submit", nil)
	req.Header.Set("Authorization", "Bearer "+s.AppToken)
	resp, err := cut.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body errBody
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("submit with the store unreachable: %d, body: %v", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || body.Error.Code != "unavailable" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("submit with the store unreachable: %d %q, Retry-After %q; want 503 unavailable with Retry-After",
			resp.StatusCode, body.Error.Code, resp.Header.Get("Retry-After"))
	}
	if n := b.outboxCount(s.ID); n != 0 {
		t.Fatalf("outbox has %d rows after the refused submit, want 0", n)
	}

	sub, err := appclient.New(b.url, s.AppToken, b.http).Submit(ctx)
	if err != nil || sub.Status != "submitted" {
		t.Fatalf("submit once the store answers: %+v, %v", sub, err)
	}
}
