package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
)

// `idv dev` syncs the sub-processor register at start as `idv api` does, so
// an entry listed when the dev tenant is made is never announced to it
// later; and the API rereads the register file, so an entry added and
// synced is listed and can be objected to without a restart.
func TestDevSyncsRegisterAndServesItLive(t *testing.T) {
	mainURL := pgtest.NewURL(t)
	keysDB(t, mainURL)
	file := filepath.Join(t.TempDir(), "subprocessors.json")
	const first = `{"id":"hetzner-fsn1","name":"Hetzner Online GmbH","purpose":"Hosting","country":"DE","effective_date":"2026-01-01"}`
	const second = `{"id":"backup-nl","name":"Backup B.V.","purpose":"Off-site backups","country":"NL","effective_date":"2027-01-01"}`
	if err := os.WriteFile(file, []byte("["+first+"]"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"DATABASE_URL": mainURL, "IDV_DEV_DIR": t.TempDir(), "IDV_SUBPROCESSORS_FILE": file}
	cfg, err := parseConfig(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	l, err := startLocal(t.Context(), cfg, io.Discard, func(string, ...any) {}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := l.Stop(); err != nil {
			t.Errorf("dev stopped with: %v", err)
		}
	}()
	sync := func() string {
		t.Helper()
		// The operator's command reads the file afresh, as a new process does.
		c, err := parseConfig(env(map[string]string{"DATABASE_URL": l.cfg.DatabaseURL, "IDV_SUBPROCESSORS_FILE": file}))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := runSubprocessors(t.Context(), []string{"sync"}, c, &out); err != nil {
			t.Fatalf("subprocessors sync: %v", err)
		}
		return out.String()
	}
	if out := sync(); !strings.HasPrefix(out, "0 announcement(s)") {
		t.Fatalf("sync after dev start: %q; the dev tenant, made while the register listed the entry, is announced it", out)
	}
	db, err := postgres.Open(t.Context(), l.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var announced int
	if err := db.QueryRow(`SELECT count(*) FROM subprocessor_announcements`).Scan(&announced); err != nil || announced != 0 {
		t.Fatalf("%d announcements (%v), want 0", announced, err)
	}

	if err := os.WriteFile(file, []byte("["+first+",\n"+second+"]"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := sync(); !strings.HasPrefix(out, "1 announcement(s)") {
		t.Fatalf("sync after adding an entry: %q, want 1 announcement", out)
	}
	call := func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), method, l.cfg.PublicURL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+l.env.tenant.APIKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := call("GET", "/v1/subprocessors", ""); code != 200 || !strings.Contains(body, `"id":"backup-nl"`) {
		t.Fatalf("GET /v1/subprocessors after the sync: %d %s; want the new entry listed", code, body)
	}
	if code, body := call("POST", "/v1/subprocessors/backup-nl/objection", `{"reason":"not in our DPA"}`); code != 201 {
		t.Fatalf("objection to the new entry: %d %s, want 201", code, body)
	}
}
