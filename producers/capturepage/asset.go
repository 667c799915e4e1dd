package capturepage

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
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
	// immutable is set for a file served under its content-hashed name
	// (hashedName): a changed file is a new name, so a browser may keep
	// this one for good.
	immutable bool
	// gz is the file gzipped, sent as it is to a client that accepts gzip;
	// empty when gzip would not make it smaller.
	gz representation
	// plain is the file as it is, for a client that does not accept gzip:
	// for a file embedded gzipped (name + ".gz") decompressed once, when
	// first asked for.
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
// keyed by the name each is served under. dist's files are served under
// their own names, which web/build.mjs content-hashes (but index.html's);
// the checks', built apart by web/wasm/build.sh, under names hashed here
// by the same rule from the bytes embedded (check.wasm.gz →
// check.<hash>.wasm), which build.mjs writes into the worker. Each is
// gzipped here once, the module embedded gzipped already.
func assets() (map[string]asset, error) {
	out := map[string]asset{}
	for _, src := range []struct {
		fsys fs.FS
		dir  string
		hash bool // serve under hashedName
	}{{dist, "dist", false}, {checks, "wasm", true}} {
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
			a := asset{name: e.Name()}
			if name, ok := strings.CutSuffix(e.Name(), ".gz"); ok {
				a.name = name
				a.gz = representation{body, etagOf(body)}
				a.plain = sync.OnceValues(func() (representation, error) { return gunzip(name, body) })
			} else {
				plain := representation{body, etagOf(body)}
				a.plain = func() (representation, error) { return plain, nil }
				if a.gz, err = gzipOf(e.Name(), body); err != nil {
					return nil, err
				}
			}
			if src.hash {
				a.name = hashedName(a.name, body)
			}
			a.immutable = a.name == hashedName(unhashed(a.name), body)
			out[a.name] = a
		}
	}
	return out, nil
}

// hashedName is name with the first 12 hex digits of the SHA-256 of body
// before its extension (app.js → app.0123456789ab.js): web/build.mjs's
// rule for the names of the page's files.
func hashedName(name string, body []byte) string {
	sum := sha256.Sum256(body)
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
}

// unhashed is name without a hash hashedName put in it (app.js for
// app.0123456789ab.js), or name.
func unhashed(name string) string {
	ext := path.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	hash := path.Ext(stem)
	if len(hash) != 13 {
		return name
	}
	if _, err := hex.DecodeString(hash[1:]); err != nil {
		return name
	}
	return strings.TrimSuffix(stem, hash) + ext
}

// etagOf is the strong ETag of body: its SHA-256, shortened.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}

// gzipOf is body gzipped at the best compression, or none when that is
// not smaller.
func gzipOf(name string, body []byte) (representation, error) {
	var z bytes.Buffer
	w, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
	if err != nil {
		return representation{}, fmt.Errorf("capturepage: gzip %s: %w", name, err)
	}
	if _, err := w.Write(body); err != nil {
		return representation{}, fmt.Errorf("capturepage: gzip %s: %w", name, err)
	}
	if err := w.Close(); err != nil {
		return representation{}, fmt.Errorf("capturepage: gzip %s: %w", name, err)
	}
	if z.Len() >= len(body) {
		return representation{}, nil
	}
	return representation{z.Bytes(), etagOf(z.Bytes())}, nil
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
// If-None-Match (304) and ranges as http.ServeContent does them. A file
// under its content-hashed name is kept by browsers and caches for a year
// and never asked for again (immutable): its name changes with it. The
// page itself (index.html, which names them) is never stored (the screen
// a person reached stays out of the back-forward and disk caches); any
// other file is revalidated by its ETag on every use. A file that gzips
// smaller goes out gzipped to a client that accepts gzip and as it is to
// one that does not, with Vary: Accept-Encoding on both for the caches
// between.
func (a asset) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if t, ok := types[path.Ext(a.name)]; ok {
		h.Set("Content-Type", t)
	}
	switch {
	case path.Ext(a.name) == ".html":
		h.Set("Cache-Control", "no-store")
	case a.immutable:
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	default:
		h.Set("Cache-Control", "no-cache")
	}
	rep := a.gz
	if rep.body != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			w = gzipped{w}
		} else {
			rep.body = nil
		}
	}
	if rep.body == nil {
		var err error
		if rep, err = a.plain(); err != nil {
			http.Error(w, "capture page unavailable", http.StatusInternalServerError)
			return
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
