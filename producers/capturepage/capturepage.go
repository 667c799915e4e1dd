// Package capturepage serves IDV's hosted capture page: a small web app,
// built from web/ with esbuild and embedded here, that a person opens on a
// phone from the session's capture URL (/capture/#token=<app token>). It
// speaks only the public app API, seals every capture in the browser to the
// session key with HPKE, and uploads through the same pre-signed POST
// policies as any app. The page's Content-Security-Policy lets it talk to
// IDV's own origin and to the object store's upload origin, nothing else.
package capturepage

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// dist is the page as web/build.mjs builds it, committed so that go build
// needs no Node (TestBundleUpToDate keeps it in step with web/src).
//
//go:embed dist
var dist embed.FS

// UploadOrigin reports the origin (scheme://host[:port]) the page uploads
// captures to, computed from the object store's configuration.
type UploadOrigin func(ctx context.Context) (string, error)

// Handler serves the page under prefix (e.g. "/capture/"): prefix itself is
// index.html, prefix+"app.js" and prefix+"app.css" the bundle. Anything
// else is 404.
func Handler(prefix string, origin UploadOrigin) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, prefix)
		if name == "" {
			name = "index.html"
		}
		if name != path.Base(name) || name == "." {
			http.NotFound(w, r)
			return
		}
		body, err := fs.ReadFile(dist, "dist/"+name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		up, err := origin(r.Context())
		if err != nil {
			http.Error(w, "capture page unavailable", http.StatusServiceUnavailable)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", CSP(up))
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		switch path.Ext(name) {
		case ".html":
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Cache-Control", "no-store")
		case ".js":
			h.Set("Content-Type", "text/javascript; charset=utf-8")
			h.Set("Cache-Control", "no-cache")
		case ".css":
			h.Set("Content-Type", "text/css; charset=utf-8")
			h.Set("Cache-Control", "no-cache")
		}
		if r.Method == http.MethodHead {
			return
		}
		w.Write(body)
	})
}

// CSP is the page's Content-Security-Policy: its own origin for everything,
// plus uploadOrigin for the POST policy uploads, camera frames as blob: and
// data: images, and no framing, plugins, base or form targets.
func CSP(uploadOrigin string) string {
	connect := "'self'"
	if uploadOrigin != "" {
		connect += " " + uploadOrigin
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' blob: data:",
		"media-src 'self' blob: mediastream:",
		"connect-src " + connect,
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

// OriginOf is the origin of an absolute URL, e.g. an upload policy's URL.
func OriginOf(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("capturepage: origin of %q: %w", raw, err)
	}
	if u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("capturepage: origin of %q: not an absolute URL", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}
