package api_test

import (
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

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

// TestCapturePageFramedByTenant: under /capture/t/{tenant_id}/ the page's
// frame-ancestors names the tenant's embed origins, and nothing else of
// its CSP changes; /capture/ itself, a tenant listing none, an unknown id
// and the page's files keep 'none'; a malformed id is 404. The tenant's
// return URLs reach the app, which offers the one its link names.
func TestCapturePageFramedByTenant(t *testing.T) {
	t.Parallel()
	b := setup(t)
	change := map[string]any{"embed_origins": []string{"https://shop.example", "https://app.shop.example:8443"},
		"return_urls": []string{"https://shop.example/done"}}
	var policy struct {
		TenantID     string   `json:"tenant_id"`
		EmbedOrigins []string `json:"embed_origins"`
	}
	if code := b.call("PATCH", "/v1/policy", b.a.APIKey, change, &policy); code != http.StatusOK || policy.TenantID != b.a.TenantID.String() {
		t.Fatalf("PATCH /v1/policy: %d %+v", code, policy)
	}
	var e errBody
	if code := b.call("PATCH", "/v1/policy", b.a.APIKey, map[string]any{"embed_origins": []string{"https://*.shop.example"}}, &e); code != http.StatusUnprocessableEntity ||
		e.Error.Details["setting"] != schemas.SettingEmbedOrigins {
		t.Errorf("a wildcard origin: %d %+v", code, e)
	}
	csp := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(b.url + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Content-Security-Policy")
	}
	_, plain := csp("/capture/")
	framed := strings.Replace(plain, "frame-ancestors 'none'", "frame-ancestors https://shop.example https://app.shop.example:8443", 1)
	for _, tc := range []struct {
		path   string
		status int
		csp    string
	}{
		{"/capture/t/" + b.a.TenantID.String() + "/", 200, framed},
		{"/capture/t/" + b.a.TenantID.String() + "/index.html", 200, framed},
		{"/capture/t/" + b.b.TenantID.String() + "/", 200, plain},
		{"/capture/t/" + uuid.NewString() + "/", 200, plain},
		{"/capture/t/" + strings.ToUpper(b.a.TenantID.String()) + "/", 404, ""},
		{"/capture/t/nope/", 404, ""},
		{"/capture/t/" + b.a.TenantID.String(), 404, ""},
		{"/capture/t/" + b.a.TenantID.String() + "/missing.js", 404, ""},
	} {
		status, got := csp(tc.path)
		if status != tc.status || (tc.status == 200 && got != tc.csp) {
			t.Errorf("GET %s: %d, CSP %q; want %d, %q", tc.path, status, got, tc.status, tc.csp)
		}
	}
	if !strings.Contains(plain, "frame-ancestors 'none'") || strings.Count(framed, "frame-ancestors") != 1 {
		t.Errorf("CSP %q", plain)
	}
	var app struct {
		ReturnURLs []string `json:"return_urls"`
	}
	b.call("GET", "/v1/app/session", b.newSession(b.a.APIKey).AppToken, nil, &app)
	if !slices.Equal(app.ReturnURLs, []string{"https://shop.example/done"}) {
		t.Errorf("app session return_urls %v", app.ReturnURLs)
	}
}
