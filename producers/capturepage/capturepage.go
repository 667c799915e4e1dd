// Package capturepage serves IDV's hosted capture page: a small web app,
// built from web/ with esbuild and embedded here, that a person opens on a
// phone from the session's capture URL (/capture/#token=<app token>). It
// speaks only the public app API, seals every capture in the browser to the
// session key with HPKE, and uploads through the same pre-signed POST
// policies as any app. The page's Content-Security-Policy lets it talk to
// IDV's own origin and to the object store's upload origin, nothing else.
//
// Beside the page it serves the document checks the server runs on
// document photos (the quality gates and the MRZ read), compiled from the
// same Go code to WebAssembly (web/wasm), which the page fetches only when
// it checks a camera frame: the CSP admits WebAssembly and nothing else
// that evaluates code.
package capturepage

import (
	"context"
	"embed"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// dist is the page as web/build.mjs builds it, committed so that go build
// needs no Node (TestBundleHoldsWhatBuildWrites keeps it in step with
// web/src).
//
//go:embed dist
var dist embed.FS

// checks is the document checks as web/wasm/build.sh builds them from the
// server's Go code: the module, gzipped (check.wasm.gz, a quarter of its
// size, served as check.<hash>.wasm), and the JS glue of the toolchain that built
// it (web/wasm's TestCommittedWasmUpToDate keeps them in step). The page
// fetches them when it checks a frame, not for its first screen.
//
//go:embed wasm/check.wasm.gz wasm/wasm_exec.js
var checks embed.FS

// UploadOrigin reports the origin (scheme://host[:port]) the page uploads
// captures to, computed from the object store's configuration.
type UploadOrigin func(ctx context.Context) (string, error)

// Handler serves the page under prefix (e.g. "/capture/"): prefix itself is
// index.html, and beside it the files it loads and they load, each under
// its content-hashed name (app.<hash>.js, app.<hash>.css, seal.<hash>.js,
// check-worker.<hash>.js, wasm_exec.<hash>.js, check.<hash>.wasm), which
// a browser keeps for a year without asking again (Cache-Control:
// immutable); index.html is never stored. Anything else, an unhashed name
// too, is 404. Each file goes out gzipped (Content-Encoding: gzip) to a
// client that accepts gzip, the module as it is embedded, and as it is to
// one that does not (Vary: Accept-Encoding). Every file carries an ETag,
// one per representation, so a request with it (If-None-Match) gets 304
// Not Modified rather than the file once more.
func Handler(prefix string, origin UploadOrigin) http.Handler {
	files := sync.OnceValues(assets) // read and hashed on first use
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, prefix)
		if name == "" {
			name = "index.html"
		}
		all, err := files()
		if err != nil {
			http.Error(w, "capture page unavailable", http.StatusInternalServerError)
			return
		}
		a, ok := all[name]
		if !ok {
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
		a.serve(w, r)
	})
}

// CSP is the page's Content-Security-Policy: its own origin for everything,
// plus uploadOrigin for the POST policy uploads, camera frames as blob: and
// data: images, WebAssembly ('wasm-unsafe-eval': the page's own scripts
// may compile a module, as they do check.wasm, while JavaScript's eval and
// inline scripts stay refused), and no framing, plugins, base or form
// targets.
func CSP(uploadOrigin string) string {
	connect := "'self'"
	if uploadOrigin != "" {
		connect += " " + uploadOrigin
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self' 'wasm-unsafe-eval'",
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
