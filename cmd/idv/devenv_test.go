package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/schemas"
)

// TestTenantCreateAgainstDev: with idv dev running, `idv tenant create`
// run with no configuration but the dev dir (as in the repository, where
// it is .idv) says in one line that it reads dev.env, and creates the
// tenant in dev's database, its webhook secret sealed under dev's master
// key and its API key taken by dev's API. With a setting of its own given,
// it reads no dev.env; and the dev tenant's credentials file uses the
// API's snake_case names.
func TestTenantCreateAgainstDev(t *testing.T) {
	mainURL := pgtest.NewURL(t)
	keysDB(t, mainURL)
	dir := t.TempDir()
	cfg, err := parseConfig(env(map[string]string{"DATABASE_URL": mainURL, "IDV_DEV_DIR": dir}))
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
	if fi, err := os.Stat(filepath.Join(dir, devEnvFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("dev.env: %v, want mode 0600", err)
	}

	var stdout, stderr bytes.Buffer
	args := []string{"tenant", "create", "--name", "acme", "--webhook-url", "http://127.0.0.1:9/acme", "--retention-days", "7", "--fields", "age_over_18"}
	if err := run(t.Context(), args, &stdout, &stderr, env(map[string]string{"IDV_DEV_DIR": dir})); err != nil {
		t.Fatalf("idv tenant create: %v\n%s", err, &stderr)
	}
	if lines := strings.Split(strings.TrimSpace(stderr.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], filepath.Join(dir, devEnvFile)) {
		t.Errorf("stderr %q: want one line naming dev.env", &stderr)
	}
	m := regexp.MustCompile(`tenant created: (\S+)\n(?s:.*)API key: +(\S+)\n +webhook secret: +(\S+)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("stdout:\n%s", &stdout)
	}
	id := uuid.MustParse(m[1])
	tn, err := postgres.NewTenants(l.env.st.db).Get(t.Context(), id)
	if err != nil {
		t.Fatalf("tenant %s in dev's database: %v", id, err)
	}
	printed, err := idv.ParseSecret(m[3])
	if err != nil {
		t.Fatal(err)
	}
	secret, err := l.env.st.vault.OpenSecret(id, schemas.WebhookSecretPurpose, tn.WebhookSecretSealed)
	if err != nil || !bytes.Equal(secret, printed) {
		t.Errorf("webhook secret opened under dev's master key: %v (the one printed: %v)", err, bytes.Equal(secret, printed))
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, l.cfg.PublicURL+"/v1/sessions", nil)
	req.Header.Set("Authorization", "Bearer "+m[2])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("POST /v1/sessions with the new tenant's key: %d, want 201", resp.StatusCode)
	}

	// The offboarding commands as docs/processor-duties.md shows them, with
	// nothing configured: export, delete, open (issue 23: they needed the
	// embedded gateway's IDV_S3_*, which were never shown).
	keys := filepath.Join(t.TempDir(), "keys")
	exports := t.TempDir()
	devRun := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(t.Context(), args, &out, &errOut, env(map[string]string{"IDV_DEV_DIR": dir})); err != nil {
			t.Fatalf("idv %s: %v\n%s%s", strings.Join(args, " "), err, &out, &errOut)
		}
		return out.String()
	}
	devRun("offboard", "keygen", "--out", keys)
	devRun("tenant", "offboard", "--tenant", id.String(), "--recipient", filepath.Join(keys, "offboard.pub"), "--export", exports)
	archives, _ := filepath.Glob(filepath.Join(exports, "*.idvoffboard"))
	if len(archives) != 1 {
		t.Fatalf("%d archives in the export directory, want 1", len(archives))
	}
	if out := devRun("tenant", "offboard", "--tenant", id.String(), "--delete", "--confirm", id.String()); !strings.Contains(out, `"statement"`) {
		t.Fatalf("delete printed no receipt:\n%s", out)
	}
	devRun("offboard", "open", "--key", filepath.Join(keys, "offboard.key"), "--in", archives[0], "--out", filepath.Join(t.TempDir(), "archive"))

	// A setting given by the caller: no dev.env, and what is missing said.
	stderr.Reset()
	err = run(t.Context(), args, io.Discard, &stderr, env(map[string]string{"IDV_DEV_DIR": dir, "IDV_DATABASE_URL": mainURL}))
	if err == nil || !strings.Contains(err.Error(), "IDV_KEYSTORE_URL") || strings.Contains(stderr.String(), devEnvFile) {
		t.Errorf("with IDV_DATABASE_URL set: %v, stderr %q; want dev.env left alone and the missing settings named", err, &stderr)
	}

	b, err := os.ReadFile(filepath.Join(dir, "dev-tenant.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{`"tenant_id"`, `"api_key"`, `"webhook_secret"`} {
		if !bytes.Contains(b, []byte(name)) {
			t.Errorf("dev-tenant.json has no %s:\n%s", name, b)
		}
	}
}

// TestDevWithoutFaceAssets: idv dev --exit-after-demo without the Debian
// test photos (and without face models, unless IDV_FACE_DIR names them)
// runs the document demo to its approval, leaves the second demo out and
// says how to get what it needs.
func TestDevWithoutFaceAssets(t *testing.T) {
	mainURL := pgtest.NewURL(t)
	keysDB(t, mainURL)
	vars := map[string]string{"DATABASE_URL": mainURL, "IDV_DEV_DIR": t.TempDir(),
		"IDV_FACE_DIR": os.Getenv("IDV_FACE_DIR"), "IDV_TEST_IMAGES": t.TempDir()} // no photos in it
	if vars["IDV_FACE_DIR"] == "" {
		vars["IDV_FACE_DIR"] = t.TempDir() // no models in it
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"dev", "--exit-after-demo"}, &stdout, &stderr, env(vars)); err != nil {
		t.Fatalf("idv dev: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	out := stdout.String()
	if !strings.Contains(out, "decided, decision approved") {
		t.Errorf("no approved document demo:\n%s", out)
	}
	if !strings.Contains(out, "demo 2 (face match and liveness) left out: ") || !strings.Contains(out, "grace_hopper.jpg") ||
		!strings.Contains(out, "bash scripts/test-images.sh") || !strings.Contains(out, "bash scripts/face-models.sh") ||
		strings.Contains(out, "• demo 2: session") {
		t.Errorf("want demo 2 left out, saying why and how to get it:\n%s", out)
	}
}
