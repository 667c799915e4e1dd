package capturepage_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/idv-oss/idv/producers/capturepage"
)

func TestHandler(t *testing.T) {
	t.Parallel()
	h := capturepage.Handler("/capture/", func(context.Context) (string, error) { return "http://127.0.0.1:9000", nil })
	files := pageFiles(t, h)
	for _, tc := range []struct {
		path, ctype string
		status      int
	}{
		{"/capture/", "text/html; charset=utf-8", 200},
		{files["app.js"], "text/javascript; charset=utf-8", 200},
		{files["app.css"], "text/css; charset=utf-8", 200},
		{files["seal.js"], "text/javascript; charset=utf-8", 200},
		{files["check-worker.js"], "text/javascript; charset=utf-8", 200},
		{files["check.wasm"], "application/wasm", 200},
		{files["wasm_exec.js"], "text/javascript; charset=utf-8", 200},
		// Only the hashed names: an unhashed one would be cached for a
		// year under a name that outlives its content.
		{"/capture/app.js", "", 404},
		{"/capture/app.css", "", 404},
		{"/capture/check.wasm", "", 404},
		{"/capture/wasm_exec.js", "", 404},
		{"/capture/toolchain.txt", "", 404},
		{"/capture/check.wasm.gz", "", 404},
		{"/capture/wasm/check.wasm", "", 404},
		{"/capture/dist/app.js", "", 404},
		{"/capture/nope.js", "", 404},
		{"/capture/../capturepage.go", "", 404},
		{"/capture/sub" + strings.TrimPrefix(files["app.js"], "/capture"), "", 404},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != tc.status {
			t.Errorf("GET %s: %d, want %d", tc.path, rec.Code, tc.status)
			continue
		}
		if tc.status != 200 {
			continue
		}
		if got := rec.Header().Get("Content-Type"); got != tc.ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", tc.path, got, tc.ctype)
		}
		csp := rec.Header().Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "connect-src 'self' http://127.0.0.1:9000", "frame-ancestors 'none'",
			"script-src 'self' 'wasm-unsafe-eval';"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: CSP %q lacks %q", tc.path, csp, want)
			}
		}
		// WebAssembly is the one thing compiled at run time: no
		// 'unsafe-eval', 'unsafe-inline' or 'unsafe-hashes', and
		// 'wasm-unsafe-eval' in script-src only.
		if strings.Contains(csp, "*") || strings.Count(csp, "unsafe") != 1 || strings.Count(csp, "'wasm-unsafe-eval'") != 1 {
			t.Errorf("GET %s: CSP %q admits more than its origins and WebAssembly", tc.path, csp)
		}
	}
	page := httptest.NewRecorder()
	h.ServeHTTP(page, httptest.NewRequest(http.MethodGet, "/capture/", nil))
	if body := page.Body.String(); !strings.Contains(body, `src="`+strings.TrimPrefix(files["app.js"], "/capture/")+`"`) || strings.Contains(body, "http") {
		t.Errorf("index.html should load only its own relative assets:\n%s", body)
	}
	if body := page.Body.String(); strings.Contains(body, "wasm") {
		t.Errorf("index.html loads the document checks with the first screen:\n%s", body)
	}
	down := capturepage.Handler("/capture/", func(context.Context) (string, error) { return "", os.ErrNotExist })
	rec := httptest.NewRecorder()
	down.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/capture/", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("without an upload origin: %d, want 503", rec.Code)
	}
}

// TestChecksServed: the document checks are served as built
// (web/wasm/build.sh): the glue as it is, the module as application/wasm,
// gzipped as embedded to a client that accepts gzip and decompressed to
// one that does not, each representation with its length and its own
// ETag, which a second fetch revalidates into 304 Not Modified.
func TestChecksServed(t *testing.T) {
	t.Parallel()
	h := capturepage.Handler("/capture/", func(context.Context) (string, error) { return "http://127.0.0.1:9000", nil })
	files := pageFiles(t, h)
	gz, err := os.ReadFile(filepath.Join("wasm", "check.wasm.gz"))
	if err != nil {
		t.Fatal(err)
	}
	module := gunzip(t, gz)
	if !bytes.HasPrefix(module, []byte("\x00asm\x01\x00\x00\x00")) {
		t.Errorf("wasm/check.wasm.gz does not hold a WebAssembly 1 module: % x", module[:min(8, len(module))])
	}
	glue, err := os.ReadFile(filepath.Join("wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatal(err)
	}
	etags := map[string]string{} // representation → ETag
	for _, tc := range []struct {
		name, accept string
		want         []byte
		encoding     string // Content-Encoding
		vary         string
	}{
		{"check.wasm", "gzip, deflate, br, zstd", gz, "gzip", "Accept-Encoding"},
		{"check.wasm", "GZIP;q=0.5", gz, "gzip", "Accept-Encoding"},
		{"check.wasm", "x-gzip", gz, "gzip", "Accept-Encoding"},
		{"check.wasm", "br;q=1, *;q=0.1", gz, "gzip", "Accept-Encoding"},
		{"check.wasm", "", module, "", "Accept-Encoding"},
		{"check.wasm", "identity", module, "", "Accept-Encoding"},
		{"check.wasm", "br, zstd", module, "", "Accept-Encoding"},
		{"check.wasm", "gzip;q=0, *", module, "", "Accept-Encoding"},
		{"check.wasm", "gzip;q=0.000", module, "", "Accept-Encoding"},
		{"check.wasm", "gzip;q=high", module, "", "Accept-Encoding"},
		{"wasm_exec.js", "gzip", gzipped(t, glue), "gzip", "Accept-Encoding"},
		{"wasm_exec.js", "", glue, "", "Accept-Encoding"},
	} {
		get := func(method, etag string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(method, files[tc.name], nil)
			if tc.accept != "" {
				req.Header.Set("Accept-Encoding", tc.accept)
			}
			if etag != "" {
				req.Header.Set("If-None-Match", etag)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
		what := fmt.Sprintf("GET %s, Accept-Encoding %q", tc.name, tc.accept)
		rec := get(http.MethodGet, "")
		hd := rec.Header()
		if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), tc.want) {
			t.Errorf("%s: %d, %d bytes; want 200, %d", what, rec.Code, rec.Body.Len(), len(tc.want))
			continue
		}
		if hd.Get("Content-Encoding") != tc.encoding || hd.Get("Vary") != tc.vary ||
			hd.Get("Content-Length") != strconv.Itoa(len(tc.want)) {
			t.Errorf("%s: Content-Encoding %q, Vary %q, Content-Length %q; want %q, %q, %d", what,
				hd.Get("Content-Encoding"), hd.Get("Vary"), hd.Get("Content-Length"), tc.encoding, tc.vary, len(tc.want))
		}
		etag := hd.Get("ETag")
		if len(etag) < 10 || hd.Get("Cache-Control") != immutable {
			t.Errorf("%s: ETag %q, Cache-Control %q; want an ETag and %q", what, etag, hd.Get("Cache-Control"), immutable)
		}
		representation := tc.name + " " + tc.encoding
		if seen, ok := etags[representation]; ok && seen != etag {
			t.Errorf("%s: ETag %q, another request for it %q", what, etag, seen)
		}
		etags[representation] = etag

		again := get(http.MethodGet, etag)
		if again.Code != http.StatusNotModified || again.Body.Len() != 0 || again.Header().Get("Content-Encoding") != "" ||
			again.Header().Get("Vary") != tc.vary {
			t.Errorf("%s again with its ETag: %d, %d bytes, Content-Encoding %q, Vary %q; want 304, none, none, %q", what,
				again.Code, again.Body.Len(), again.Header().Get("Content-Encoding"), again.Header().Get("Vary"), tc.vary)
		}
		if !strings.Contains(again.Header().Get("Content-Security-Policy"), "'wasm-unsafe-eval'") {
			t.Errorf("%s again: no CSP", what)
		}
		head := get(http.MethodHead, "")
		if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("Content-Length") != strconv.Itoa(len(tc.want)) ||
			head.Header().Get("Content-Encoding") != tc.encoding {
			t.Errorf("HEAD %s: %d, %d bytes, Content-Length %q, Content-Encoding %q; want 200, none, %d, %q", what, head.Code,
				head.Body.Len(), head.Header().Get("Content-Length"), head.Header().Get("Content-Encoding"), len(tc.want), tc.encoding)
		}
	}
	gzETag, plainETag := etags["check.wasm gzip"], etags["check.wasm "]
	if gzETag == "" || gzETag == plainETag {
		t.Errorf("check.wasm: ETag %q gzipped, %q decompressed; want one for each", gzETag, plainETag)
	}
	// One representation's ETag does not revalidate the other.
	req := httptest.NewRequest(http.MethodGet, files["check.wasm"], nil)
	req.Header.Set("If-None-Match", gzETag)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), module) {
		t.Errorf("GET check.wasm without gzip, with the gzipped ETag: %d, %d bytes; want 200, the module", rec.Code, rec.Body.Len())
	}
	// A range is of the bytes sent: the gzipped ones.
	req = httptest.NewRequest(http.MethodGet, files["check.wasm"], nil)
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("Range", "bytes=0-9")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusPartialContent || !bytes.Equal(rec.Body.Bytes(), gz[:10]) || rec.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("GET check.wasm, gzip, bytes 0-9: %d, % x, Content-Encoding %q; want 206, % x, gzip", rec.Code, rec.Body.Bytes(),
			rec.Header().Get("Content-Encoding"), gz[:10])
	}
}

// gunzip is b decompressed.
func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	z, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOriginOf(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"http://127.0.0.1:9000/bucket":                       "http://127.0.0.1:9000",
		"https://idv.s3.eu-west-1.amazonaws.com/":            "https://idv.s3.eu-west-1.amazonaws.com",
		"https://s3.example.com:8443/b?x-amz-signature=abcd": "https://s3.example.com:8443",
	} {
		if got, err := capturepage.OriginOf(in); err != nil || got != want {
			t.Errorf("OriginOf(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"/bucket", "bucket", "://x"} {
		if got, err := capturepage.OriginOf(bad); err == nil {
			t.Errorf("OriginOf(%q) = %q, want an error", bad, got)
		}
	}
}

// nodeModules is web/node_modules as scripts/browser.sh installs it, or a
// skip (a failure with IDV_REQUIRE_BROWSER=1).
func nodeModules(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("IDV_WEB_NODE_MODULES")
	_, err := exec.LookPath("node")
	if dir == "" || err != nil {
		if os.Getenv("IDV_REQUIRE_BROWSER") == "1" {
			t.Fatal("IDV_WEB_NODE_MODULES and node are required: eval \"$(scripts/browser.sh)\"")
		}
		t.Skip(`web toolchain absent: eval "$(scripts/browser.sh)" first`)
	}
	return dir
}

// TestBrowserSealOpensInGo seals with the page's own sealing code (run in
// Node, which has the same WebCrypto) and opens with Go's crypto/hpke in
// the suite infra/vault uses; another slot's info must not open it.
func TestBrowserSealOpensInGo(t *testing.T) {
	nodeModules(t)
	t.Parallel()
	priv, err := hpke.MLKEM768X25519().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	session := "0b9a3c4e-5d6f-4a1b-8c2d-3e4f5a6b7c8d"
	req, _ := json.Marshal(map[string]any{
		"public_key": base64.StdEncoding.EncodeToString(priv.PublicKey().Bytes()),
		"session_id": session, "kind": "mrz", "index": 0, "plaintext": "I<UTOD231458907<<<<<<<<<<<<<<<\n",
	})
	cmd := exec.Command("node", filepath.Join("..", "..", "web", "e2e", "seal.mjs"))
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node seal.mjs: %v\n%s", err, stderr.String())
	}
	var got struct {
		Sealed []byte `json:"sealed"`
		SHA256 string `json:"sha256"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(got.Sealed)
	if got.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("page's sha256 %s is not that of the sealed bytes", got.SHA256)
	}
	info := "idv/v1 capture " + session + " mrz 0"
	plain, err := hpke.Open(priv, hpke.HKDFSHA256(), hpke.AES256GCM(), []byte(info), got.Sealed)
	if err != nil {
		t.Fatalf("Go cannot open what the page sealed: %v", err)
	}
	if string(plain) != "I<UTOD231458907<<<<<<<<<<<<<<<\n" {
		t.Fatalf("opened %q", plain)
	}
	if _, err := hpke.Open(priv, hpke.HKDFSHA256(), hpke.AES256GCM(), []byte(info[:len(info)-1]+"1"), got.Sealed); err == nil {
		t.Fatal("a capture sealed for mrz/0 opened as mrz/1")
	}
}
