package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// FuzzAPI sends arbitrary requests — any method, path, content type and
// body, with no credential, a tenant's API key or an app token — to the
// whole API over real PostgreSQL and storage. Whatever comes in, the answer
// is never a 5xx, and every refusal is a machine-readable JSON error with a
// code. The seeds (testdata/fuzz/FuzzAPI and below) run with every go test.
func FuzzAPI(f *testing.F) {
	b := setup(f)
	s := b.newSession(b.a.APIKey)
	for _, seed := range []struct {
		method, path, ctype, body string
		cred                      uint8
	}{
		{"POST", "/v1/sessions", "application/json", `{"checks":["document","liveness"]}`, 1},
		{"POST", "/v1/sessions", "application/json", `{"retention_days":1e309}`, 1},
		{"POST", "/v1/sessions", "application/json", `[`, 1},
		{"GET", "/v1/sessions/../../etc/passwd", "", "", 1},
		{"GET", "/v1/sessions/%00", "", "", 1},
		{"DELETE", "/v1/sessions/00000000-0000-0000-0000-000000000000", "", "", 1},
		{"PUT", "/v1/sessions", "application/json", "{}", 1},
		{"GET", "/v1/app/session", "", "", 2},
		{"POST", "/v1/app/session/uploads", "application/json", `{"captures":[{"kind":"chip_aa","index":-1,"size":-5,"sha256":""}]}`, 2},
		{"POST", "/v1/app/session/submit", "application/json", "", 2},
		{"POST", "/v1/app/session/dsr", "application/json", `{"kind":"erasure","extra":1}`, 2},
		{"PATCH", "/v1/policy", "application/json", `{"minors":"maybe"}`, 1},
		{"PATCH", "/v1/policy", "application/json", `{"fields":["bsn"]}`, 1},
		{"GET", "/v1/audit-events?after=-1&limit=99999999999999999999", "", "", 1},
		{"GET", "/v1/processing-record", "text/markdown", "", 1},
		{"POST", "/v1/subprocessors/%2e%2e/objection", "", "", 1},
		{"GET", "/capture/", "", "", 0},
		{"TRACE", "/", "", "", 0},
	} {
		f.Add(seed.method, seed.path, seed.ctype, seed.body, seed.cred)
	}
	creds := []string{"", b.a.APIKey, s.AppToken, "idv_sk_forged_secret", "Basic Zm9vOmJhcg=="}
	client := &http.Client{}
	f.Fuzz(func(t *testing.T, method, path, ctype, body string, cred uint8) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequest(method, b.url+path, strings.NewReader(body))
		if err != nil {
			t.Skip("not a request net/http can send")
		}
		if c := creds[int(cred)%len(creds)]; c != "" {
			req.Header.Set("Authorization", "Bearer "+c)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Skip("refused by the client or the server's HTTP layer: ", err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s → %d: %s", method, path, resp.StatusCode, raw)
		}
		if resp.StatusCode < 400 {
			return
		}
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(raw, &e); err != nil || e.Error.Code == "" {
			t.Fatalf("%s %s → %d without a JSON error code: %q", method, path, resp.StatusCode, raw)
		}
	})
}
