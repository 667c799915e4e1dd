package capturepage_test

import (
	"bytes"
	"context"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idv-oss/idv/producers/capturepage"
)

func TestHandler(t *testing.T) {
	t.Parallel()
	h := capturepage.Handler("/capture/", func(context.Context) (string, error) { return "http://127.0.0.1:9000", nil })
	for _, tc := range []struct {
		path, ctype string
		status      int
	}{
		{"/capture/", "text/html; charset=utf-8", 200},
		{"/capture/app.js", "text/javascript; charset=utf-8", 200},
		{"/capture/app.css", "text/css; charset=utf-8", 200},
		{"/capture/nope.js", "", 404},
		{"/capture/../capturepage.go", "", 404},
		{"/capture/sub/app.js", "", 404},
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
		for _, want := range []string{"default-src 'self'", "connect-src 'self' http://127.0.0.1:9000", "frame-ancestors 'none'", "script-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: CSP %q lacks %q", tc.path, csp, want)
			}
		}
		if strings.Contains(csp, "*") || strings.Contains(csp, "unsafe") {
			t.Errorf("GET %s: CSP %q admits more than its origins", tc.path, csp)
		}
	}
	page := httptest.NewRecorder()
	h.ServeHTTP(page, httptest.NewRequest(http.MethodGet, "/capture/", nil))
	if body := page.Body.String(); !strings.Contains(body, `src="app.js"`) || strings.Contains(body, "http") {
		t.Errorf("index.html should load only its own relative assets:\n%s", body)
	}
	down := capturepage.Handler("/capture/", func(context.Context) (string, error) { return "", os.ErrNotExist })
	rec := httptest.NewRecorder()
	down.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/capture/", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("without an upload origin: %d, want 503", rec.Code)
	}
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

// TestBundleUpToDate rebuilds the page from web/ and requires the
// committed bundle to be byte for byte what the sources give.
func TestBundleUpToDate(t *testing.T) {
	nodeModules(t)
	out := t.TempDir()
	cmd := exec.Command("node", "build.mjs", out)
	cmd.Dir = filepath.Join("..", "..", "web")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node build.mjs: %v\n%s", err, b)
	}
	for _, name := range []string{"index.html", "app.js", "app.css"} {
		built, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(filepath.Join("dist", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(built, committed) {
			t.Errorf("dist/%s is stale: run (cd web && node build.mjs) and commit it", name)
		}
	}
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
