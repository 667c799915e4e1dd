package capturepage_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/idv-oss/idv/producers/capturepage"
)

// immutable is the Cache-Control of a file under its content-hashed name.
const immutable = "public, max-age=31536000, immutable"

var (
	// loads finds the files an HTML page loads by src= and href=, other
	// than data: URIs.
	loads = regexp.MustCompile(`\b(?:src|href)="([^"]+)"`)
	// hashedNames finds the content-hashed names a script names:
	// name.<12 hex digits>.ext.
	hashedNames = regexp.MustCompile(`[A-Za-z0-9_-]+\.[0-9a-f]{12}\.(?:js|css|wasm)\b`)
)

// pageFiles follows the page as a browser would, from index.html through
// the names each file it loads names in turn, and returns the path of each
// file by its name without the hash (app.js → /capture/app.<hash>.js). A
// name the page names that is not served fails the test.
func pageFiles(t *testing.T, h http.Handler) map[string]string {
	t.Helper()
	files := map[string]string{}
	get := func(p string) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d; the page loads it", p, rec.Code)
		}
		return rec.Body.String()
	}
	var names []string
	for _, m := range loads.FindAllStringSubmatch(get("/capture/"), -1) {
		if !strings.HasPrefix(m[1], "data:") {
			names = append(names, m[1])
		}
	}
	for len(names) > 0 {
		name := names[0]
		names = names[1:]
		p := "/capture/" + name
		stem, ext := strings.TrimSuffix(name, path.Ext(name)), path.Ext(name)
		plain := strings.TrimSuffix(stem, path.Ext(stem)) + ext
		if seen, ok := files[plain]; ok {
			if seen != p {
				t.Fatalf("the page names %s and %s", seen, p)
			}
			continue
		}
		files[plain] = p
		body := get(p)
		if ext == ".js" {
			names = append(names, hashedNames.FindAllString(body, -1)...)
		}
	}
	for _, want := range []string{"app.js", "app.css", "seal.js", "check-worker.js", "wasm_exec.js", "check.wasm"} {
		if files[want] == "" {
			t.Fatalf("the page loads %v, not %s", files, want)
		}
	}
	return files
}

// gzipped is b gzipped at the best compression, as the handler gzips.
func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var z bytes.Buffer
	w, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return z.Bytes()
}

// TestDelivery: every file the page loads, found by following it from
// index.html, is served under a name carrying the hash of its bytes (as
// embedded: the module's gzipped), kept for a year (immutable), gzipped to
// a client that accepts gzip and as it is to one that does not (Vary:
// Accept-Encoding on both), and its ETag revalidates into 304 with the same
// caching headers; index.html is never stored, gzipped too, and revalidates
// likewise.
func TestDelivery(t *testing.T) {
	t.Parallel()
	h := capturepage.Handler("/capture/", func(context.Context) (string, error) { return "http://127.0.0.1:9000", nil })
	files := pageFiles(t, h)
	files["index.html"] = "/capture/"
	get := func(p, accept, etag string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, p, nil)
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for name, p := range files {
		cache := immutable
		if name == "index.html" {
			cache = "no-store"
		}
		plain := get(p, "", "")
		gz := get(p, "gzip, deflate, br, zstd", "")
		for _, rec := range []*httptest.ResponseRecorder{plain, gz} {
			if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != cache ||
				rec.Header().Get("Vary") != "Accept-Encoding" || rec.Header().Get("ETag") == "" {
				t.Errorf("GET %s: %d, Cache-Control %q, Vary %q, ETag %q; want 200, %q, Accept-Encoding, an ETag", p, rec.Code,
					rec.Header().Get("Cache-Control"), rec.Header().Get("Vary"), rec.Header().Get("ETag"), cache)
			}
		}
		if gz.Header().Get("Content-Encoding") != "gzip" || plain.Header().Get("Content-Encoding") != "" ||
			gz.Body.Len() >= plain.Body.Len() || !bytes.Equal(gunzip(t, gz.Body.Bytes()), plain.Body.Bytes()) {
			t.Errorf("GET %s: Content-Encoding %q with gzip, %q without, %d and %d bytes; want gzip, none, the same file smaller",
				p, gz.Header().Get("Content-Encoding"), plain.Header().Get("Content-Encoding"), gz.Body.Len(), plain.Body.Len())
		}
		if name != "index.html" {
			hash := strings.Split(path.Base(p), ".")[1]
			sumPlain, sumGz := sha256.Sum256(plain.Body.Bytes()), sha256.Sum256(gz.Body.Bytes())
			if hash != hex.EncodeToString(sumPlain[:6]) && !(name == "check.wasm" && hash == hex.EncodeToString(sumGz[:6])) {
				t.Errorf("%s: the name's hash %s is not of its bytes (%x)", p, hash, sumPlain[:6])
			}
		}
		for _, rec := range []*httptest.ResponseRecorder{plain, gz} {
			accept := rec.Header().Get("Content-Encoding")
			etag := rec.Header().Get("ETag")
			for _, match := range []string{etag, `"other", ` + etag, "W/" + etag} {
				again := get(p, accept, match)
				if again.Code != http.StatusNotModified || again.Body.Len() != 0 || again.Header().Get("ETag") != etag ||
					again.Header().Get("Cache-Control") != cache || again.Header().Get("Vary") != "Accept-Encoding" {
					t.Errorf("GET %s (Accept-Encoding %q), If-None-Match %s: %d, %d bytes, ETag %q, Cache-Control %q; want 304, none, %s, %q",
						p, accept, match, again.Code, again.Body.Len(), again.Header().Get("ETag"), again.Header().Get("Cache-Control"), etag, cache)
				}
			}
		}
		if stale := get(p, "gzip", `"stale"`); stale.Code != http.StatusOK {
			t.Errorf("GET %s, If-None-Match another ETag: %d, want 200", p, stale.Code)
		}
	}
}
