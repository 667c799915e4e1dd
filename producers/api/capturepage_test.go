package api_test

import (
	"io"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/idv-oss/idv/producers/capturepage"
	"github.com/idv-oss/idv/schemas"
)

// TestCapturePageRoute: the API serves the capture page with a CSP that
// admits the store's upload origin, and GET /v1/app/session tells the page
// what its consent screen names.
func TestCapturePageRoute(t *testing.T) {
	b := setup(t)
	probe, err := b.objects.PresignPost(t.Context(), "probe", 1, 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	origin, err := capturepage.OriginOf(probe.URL)
	if err != nil {
		t.Fatal(err)
	}
	// The page, then the script it loads under its content-hashed name.
	script := regexp.MustCompile(`src="(app\.[0-9a-f]{12}\.js)"`)
	paths := []string{"/capture/"}
	for i := 0; i < len(paths); i++ {
		path := paths[i]
		resp, err := http.Get(b.url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if m := script.FindSubmatch(body); i == 0 && m != nil {
			paths = append(paths, "/capture/"+string(m[1]))
		}
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Security-Policy") != capturepage.CSP(origin) {
			t.Errorf("GET %s: %d, CSP %q; want 200, %q", path, resp.StatusCode, resp.Header.Get("Content-Security-Policy"), capturepage.CSP(origin))
		}
	}
	if len(paths) != 2 {
		t.Errorf("index.html loads no app.<hash>.js")
	}
	if resp, err := http.Get(b.url + "/capture/missing.js"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /capture/missing.js: %v %v, want 404", resp, err)
	}

	var s struct {
		created
		CaptureURL *string `json:"capture_url"`
	}
	if code := b.call("POST", "/v1/sessions", b.a.APIKey, nil, &s); code != http.StatusCreated || s.CaptureURL != nil {
		t.Fatalf("create session without a public URL: %d, capture_url %v (want none)", code, s.CaptureURL)
	}
	var got struct {
		TenantName    string   `json:"tenant_name"`
		Checks        []string `json:"checks"`
		Fields        []string `json:"fields"`
		RetentionDays int      `json:"retention_days"`
	}
	if code := b.call("GET", "/v1/app/session", s.AppToken, nil, &got); code != http.StatusOK {
		t.Fatalf("GET /v1/app/session: %d", code)
	}
	if got.TenantName != "Tenant A" || got.RetentionDays != 7 || !slices.Equal(got.Checks, []string{schemas.CheckDocument}) ||
		!slices.Equal(got.Fields, schemas.DefaultPolicy().Fields) {
		t.Fatalf("consent fields %+v", got)
	}
}
