package api_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"testing"
)

// pngOf is a w×h PNG.
func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestBranding: a tenant names its page, colours it (a colour under AA
// contrast is refused) and uploads a logo, which IDV re-encodes and
// serves beside the page under its hash, for a year, with a 304 to its
// ETag; the app's session carries the three; another tenant's page has
// none; a logo too large, or not an image, is refused saying why; a
// deleted logo is gone from the page and its path.
func TestBranding(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var e errBody
	if code := b.call("PATCH", "/v1/policy", b.a.APIKey, map[string]any{"brand_colour": "#4a90e2"}, &e); code != http.StatusUnprocessableEntity ||
		e.Error.Details["setting"] != "brand_colour" {
		t.Errorf("a light blue: %d %+v", code, e)
	}
	if code := b.call("PATCH", "/v1/policy", b.a.APIKey, map[string]any{"display_name": "Bank A", "brand_colour": "#0a6b2d"}, nil); code != http.StatusOK {
		t.Fatalf("PATCH /v1/policy: %d", code)
	}
	put := func(body []byte, ctype string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPut, b.url+"/v1/branding/logo", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+b.a.APIKey)
		req.Header.Set("Content-Type", ctype)
		resp, err := b.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if code, out := put(pngOf(t, 600, 20), "image/png"); code != http.StatusUnprocessableEntity {
		t.Errorf("a 600 px logo: %d %v", code, out)
	}
	if code, _ := put([]byte("<svg/>"), "image/svg+xml"); code != http.StatusUnsupportedMediaType {
		t.Errorf("an SVG: %d", code)
	}
	code, logo := put(pngOf(t, 120, 40), "image/png")
	if code != http.StatusOK || logo["width"] != float64(120) {
		t.Fatalf("PUT logo: %d %v", code, logo)
	}
	url, _ := logo["url"].(string)
	var app struct {
		DisplayName string `json:"display_name"`
		BrandColour string `json:"brand_colour"`
		LogoURL     string `json:"logo_url"`
	}
	b.call("GET", "/v1/app/session", b.newSession(b.a.APIKey).AppToken, nil, &app)
	if app.DisplayName != "Bank A" || app.BrandColour != "#0a6b2d" || app.LogoURL != url {
		t.Errorf("app session branding %+v, want Bank A, #0a6b2d, %s", app, url)
	}
	var other struct {
		LogoURL string `json:"logo_url"`
	}
	b.call("GET", "/v1/app/session", b.newSession(b.b.APIKey).AppToken, nil, &other)
	if other.LogoURL != "" {
		t.Errorf("tenant b's page shows a logo: %s", other.LogoURL)
	}
	resp, err := http.Get(b.url + url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	cfg, err := png.DecodeConfig(bytes.NewReader(body))
	if resp.StatusCode != http.StatusOK || err != nil || cfg.Width != 120 || resp.Header.Get("Content-Type") != "image/png" ||
		resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET %s: %d %v %+v %v", url, resp.StatusCode, err, cfg, resp.Header)
	}
	req, _ := http.NewRequest(http.MethodGet, b.url+url, nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	if again, err := http.DefaultClient.Do(req); err != nil || again.StatusCode != http.StatusNotModified {
		t.Errorf("GET %s with its ETag: %v %v, want 304", url, again, err)
	}
	if code := b.call("DELETE", "/v1/branding/logo", b.a.APIKey, nil, nil); code != http.StatusNoContent {
		t.Errorf("DELETE logo: %d", code)
	}
	if resp, err := http.Get(b.url + url); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET %s after delete: %v %v, want 404", url, resp, err)
	}
}
