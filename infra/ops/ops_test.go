package ops

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv/infra/logtest"
)

func TestReadyzReportsEachDependency(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "idv_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Inc()
	down := false
	checks := map[string]Check{
		"postgres": func(context.Context) error { return nil },
		"s3": func(ctx context.Context) error {
			if down {
				return errors.New("dial tcp 10.1.2.3:9000: connection refused")
			}
			return nil
		},
		"slow": func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
	}
	log, logs := logtest.New()
	srv := httptest.NewServer(Handler(reg, checks, Options{Timeout: 50 * time.Millisecond, Log: log}))
	defer srv.Close()

	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	code, body := get("/readyz")
	var res map[string]string
	json.Unmarshal([]byte(body), &res)
	if code != 503 || res["postgres"] != "ok" || res["s3"] != "ok" || res["slow"] != TimedOut {
		t.Fatalf("readyz with a hanging check: %d %v", code, res)
	}
	delete(checks, "slow")
	if code, body := get("/readyz"); code != 200 {
		t.Fatalf("readyz all up: %d %s", code, body)
	}
	down = true
	code, body = get("/readyz")
	res = nil
	json.Unmarshal([]byte(body), &res)
	if code != 503 || res["s3"] != Unavailable || res["postgres"] != "ok" || strings.Contains(body, "10.1.2.3") || strings.Contains(body, "refused") {
		t.Fatalf("readyz with s3 down: %d %s, want s3 unavailable and no driver text", code, body)
	}
	if l := logs.String(); !strings.Contains(l, "check=s3") || !strings.Contains(l, "10.1.2.3:9000: connection refused") {
		t.Fatalf("the failure's detail is not logged: %s", l)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "idv_test_total 1") {
		t.Fatalf("metrics: %d %s", code, body)
	}
}

func TestOpsTokenGuardsMetricsOnly(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(Handler(reg, map[string]Check{"postgres": func(context.Context) error { return nil }},
		Options{Timeout: time.Second, Token: "s3cret"}))
	defer srv.Close()
	get := func(path, auth string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	cases := []struct {
		path, auth string
		want       int
	}{
		{"/metrics", "", 401},
		{"/metrics", "Bearer wrong", 401},
		{"/metrics", "s3cret", 401},
		{"/metrics", "Bearer s3cret", 200},
		{"/healthz", "", 200},
		{"/readyz", "", 200},
		{"/debug/pprof/", "Bearer s3cret", 404},
		{"/", "", 404},
	}
	for _, c := range cases {
		if got := get(c.path, c.auth); got != c.want {
			t.Errorf("GET %s with %q: %d, want %d", c.path, c.auth, got, c.want)
		}
	}
}
