package capturepage

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// asset is one file the handler serves.
type asset struct {
	name string
	representation
	// plain is set for a file embedded gzipped (name + ".gz"): the
	// representation is then the gzipped bytes, sent as they are to a
	// client that accepts gzip, and plain decompresses them, once, for
	// one that does not.
	plain func() (representation, error)
}

// representation is the bytes sent for a file and their ETag.
type representation struct {
	body []byte
	etag string
}

// types are the Content-Types of the files served by extension: the
// checks' module must be application/wasm for the browser to compile it
// as it streams in (WebAssembly.instantiateStreaming).
var types = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".wasm": "application/wasm",
}

// assets reads the page (dist) and the checks (wasm) from the binary,
// keyed by the name each is served under: a file embedded gzipped
// (check.wasm.gz) under its name without .gz.
func assets() (map[string]asset, error) {
	out := map[string]asset{}
	for _, src := range []struct {
		fsys fs.FS
		dir  string
	}{{dist, "dist"}, {checks, "wasm"}} {
		entries, err := fs.ReadDir(src.fsys, src.dir)
		if err != nil {
			return nil, fmt.Errorf("capturepage: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			body, err := fs.ReadFile(src.fsys, src.dir+"/"+e.Name())
			if err != nil {
				return nil, fmt.Errorf("capturepage: %w", err)
			}
			a := asset{name: e.Name(), representation: representation{body, etagOf(body)}}
			if name, ok := strings.CutSuffix(e.Name(), ".gz"); ok {
				a.name = name
				a.plain = sync.OnceValues(func() (representation, error) { return gunzip(name, body) })
			}
			out[a.name] = a
		}
	}
	return out, nil
}

// etagOf is the strong ETag of body: its SHA-256, shortened.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}

// gunzip is the gzipped file name decompressed.
func gunzip(name string, gz []byte) (representation, error) {
	z, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return representation{}, fmt.Errorf("capturepage: %s: %w", name, err)
	}
	body, err := io.ReadAll(z)
	if err != nil {
		return representation{}, fmt.Errorf("capturepage: %s: %w", name, err)
	}
	return representation{body, etagOf(body)}, nil
}

// serve writes the asset with its type and caching headers; HEAD,
// If-None-Match (304) and ranges as http.ServeContent does them. The page
// itself is never stored (it carries the token's screen); the rest is
// revalidated by its ETag on every use. A file embedded gzipped goes out
// gzipped to a client that accepts gzip and decompressed to one that does
// not, with Vary: Accept-Encoding on both for the caches between.
func (a asset) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if t, ok := types[path.Ext(a.name)]; ok {
		h.Set("Content-Type", t)
	}
	h.Set("Cache-Control", "no-cache")
	if path.Ext(a.name) == ".html" {
		h.Set("Cache-Control", "no-store")
	}
	rep := a.representation
	if a.plain != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			w = gzipped{w}
		} else {
			var err error
			if rep, err = a.plain(); err != nil {
				http.Error(w, "capture page unavailable", http.StatusInternalServerError)
				return
			}
		}
	}
	h.Set("ETag", rep.etag)
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(rep.body))
}

// gzipped marks a response of gzipped bytes as such when its status is
// written, and only a response that carries them (200, 206): not a 304 or
// an error. Set before http.ServeContent runs, Content-Encoding would make
// it leave out Content-Length (it takes the header for a handler that
// compresses as it writes); these bytes are gzipped already, their length
// known.
type gzipped struct{ http.ResponseWriter }

func (w gzipped) WriteHeader(code int) {
	if code == http.StatusOK || code == http.StatusPartialContent {
		w.Header().Set("Content-Encoding", "gzip")
	}
	w.ResponseWriter.WriteHeader(code)
}

// acceptsGzip reports whether r's Accept-Encoding admits gzip (RFC 9110
// section 12.5.3): gzip (or its alias x-gzip) listed, or else *, with a
// weight above 0. No header, or a weight that does not parse, gets the
// file decompressed, which every client can take.
func acceptsGzip(r *http.Request) bool {
	star := false
	for _, field := range r.Header.Values("Accept-Encoding") {
		for _, item := range strings.Split(field, ",") {
			coding, params, _ := strings.Cut(item, ";")
			switch strings.ToLower(strings.TrimSpace(coding)) {
			case "gzip", "x-gzip":
				return weighted(params)
			case "*":
				star = weighted(params)
			}
		}
	}
	return star
}

// weighted reports whether an Accept-Encoding item's parameters give it a
// weight above 0 (none: 1).
func weighted(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return err == nil && q > 0
		}
	}
	return true
}
