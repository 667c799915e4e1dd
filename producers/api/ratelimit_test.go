package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv/producers/api"
)

// TestRateLimits: a tenant's burst beyond its bucket is answered 429
// rate_limited with a Retry-After header while another tenant is served;
// an app token over its rate is refused the same way, and served again once
// its bucket refills (the API's clock moved, not slept).
func TestRateLimits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	srv := api.New(b.stores, b.vault, b.objects, slog.New(slog.NewTextHandler(io.Discard, nil)),
		api.NewMetrics(prometheus.NewRegistry()), api.Config{Now: b.clock.Now, AppTokenTTL: time.Hour,
			TenantRate: 1, TenantBurst: 5, AppRate: 1, AppBurst: 3})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	get := func(path, token string) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e errBody
		json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e.Error.Code, resp.Header.Get("Retry-After")
	}
	limited := 0
	for range 10 { // a burst of ten against a bucket of five
		if code, errCode, retry := get("/v1/audit-events", b.a.APIKey); code == http.StatusTooManyRequests {
			if errCode != "rate_limited" || retry == "" {
				t.Fatalf("429 with code %q, Retry-After %q", errCode, retry)
			}
			limited++
		}
	}
	if limited != 5 {
		t.Fatalf("%d of 10 requests limited, want 5", limited)
	}
	if code, _, _ := get("/v1/audit-events", b.b.APIKey); code != http.StatusOK {
		t.Fatalf("another tenant: %d", code)
	}

	s := b.newSession(b.a.APIKey)
	for i := range 3 {
		if code, _, _ := get("/v1/app/session", s.AppToken); code != http.StatusOK {
			t.Fatalf("app request %d: %d", i, code)
		}
	}
	if code, errCode, retry := get("/v1/app/session", s.AppToken); code != http.StatusTooManyRequests || errCode != "rate_limited" {
		t.Fatalf("fourth app request: %d %q", code, errCode)
	} else if secs, err := strconv.Atoi(retry); err != nil || secs < 1 {
		t.Fatalf("Retry-After %q", retry)
	}
	b.clock.Advance(2 * time.Second)
	if code, _, _ := get("/v1/app/session", s.AppToken); code != http.StatusOK {
		t.Fatalf("after the bucket refilled: %d", code)
	}
}
