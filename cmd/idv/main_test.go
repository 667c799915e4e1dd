package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/infra/natsserver"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/schemas"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// keysDB drops the key store database that dev or a test creates beside a
// pgtest database.
func keysDB(t *testing.T, mainURL string) string {
	t.Helper()
	u, _ := url.Parse(mainURL)
	name := strings.TrimPrefix(u.Path, "/") + "_keys"
	server := pgtest.ServerURL(t)
	t.Cleanup(func() {
		db, err := postgres.Open(context.Background(), server)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	})
	u.Path = "/" + name
	return u.String()
}

func TestDevRunsTheDemo(t *testing.T) {
	mainURL := pgtest.NewURL(t)
	keysURL := keysDB(t, mainURL)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"dev", "--exit-after-demo"}, &stdout, &stderr,
		env(map[string]string{"DATABASE_URL": mainURL, "IDV_DEV_DIR": t.TempDir()}))
	if err != nil {
		t.Fatalf("idv dev: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	out := stdout.String()
	m := regexp.MustCompile(`session ([0-9a-f-]{36}) submitted`).FindStringSubmatch(out)
	if m == nil || !regexp.MustCompile(`webhook msg_[0-9a-f]{24} received, signature verified: session.decided session `+m[1]+` → approved`).MatchString(out) ||
		!strings.Contains(out, "decided, decision approved") {
		t.Fatalf("demo did not end in a verified webhook with an approval:\n%s", out)
	}
	db, err := postgres.Open(context.Background(), mainURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var status string
	var events, delivered int
	sqlx.NewDb(db, "postgres").Get(&status, `SELECT status FROM sessions WHERE session_id = $1`, m[1])
	sqlx.NewDb(db, "postgres").Get(&events, `SELECT count(*) FROM outbox WHERE subject LIKE '%.' || $1`, m[1])
	sqlx.NewDb(db, "postgres").Get(&delivered, `SELECT count(*) FROM webhook_deliveries WHERE session_id = $1 AND outcome = 'delivered'`, m[1])
	if status != "decided" || events != 3 || delivered != 1 {
		t.Fatalf("session %s is %q with %d outbox events and %d deliveries", m[1], status, events, delivered)
	}
	keys, err := postgres.Open(context.Background(), keysURL)
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	var epochs int
	keys.QueryRow(`SELECT count(*) FROM epoch_keys`).Scan(&epochs)
	if epochs != 1 {
		t.Fatalf("key store holds %d epoch keys, want 1", epochs)
	}
}

func TestMigrateAndTenantCreate(t *testing.T) {
	mainURL := pgtest.NewURL(t)
	ns, err := natsserver.Start(natsserver.NewOptions(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	vars := map[string]string{"DATABASE_URL": mainURL, "IDV_KEYSTORE_URL": pgtest.NewURL(t),
		"IDV_MASTER_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "IDV_NATS_URL": ns.ClientURL()}
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"migrate"}, &out, &errOut, env(vars)); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"migrate"}, &out, &errOut, env(vars)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "main database: 0 migration(s)") || !strings.Contains(out.String(), "key store: 0 migration(s)") ||
		!strings.Contains(out.String(), "consumers [doccheck facematch liveness decision notify wipe] declared") {
		t.Fatalf("second migrate:\n%s", &out)
	}

	// Workers find what migrate declared; on a broker without it they say what to run.
	cfg, _ := parseConfig(env(vars))
	b, err := openBroker(ctx, cfg, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := stageParts(ctx, pipeline, false, &stack{}, b, cfg, slog.New(slog.DiscardHandler), prometheus.NewRegistry()); err != nil {
		t.Fatalf("stages after migrate: %v", err)
	}
	bare, err := natsserver.Start(natsserver.NewOptions(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Shutdown()
	cfg.NATSURL = bare.ClientURL()
	b2, err := openBroker(ctx, cfg, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if _, err := stageParts(ctx, pipeline[:1], true, &stack{}, b2, cfg, slog.New(slog.DiscardHandler), prometheus.NewRegistry()); err == nil || !strings.Contains(err.Error(), "idv migrate") {
		t.Fatalf("stage without a declared consumer: %v", err)
	}

	create := []string{"tenant", "create", "--name", "Acme", "--webhook-url", "https://acme.example/hook", "--retention-days"}
	err = run(ctx, append(create, "7", "--fields", "full_name,shoe_size"), &out, &errOut, env(vars))
	if err == nil || !strings.Contains(err.Error(), `unknown field "shoe_size"`) || !strings.Contains(err.Error(), "document_number") {
		t.Fatalf("unknown field: %v", err)
	}
	err = run(ctx, append(create, "29"), &out, &errOut, env(vars))
	if err == nil || !strings.Contains(err.Error(), "outside 1..28") {
		t.Fatalf("retention 29: %v", err)
	}
	out.Reset()
	if err := run(ctx, append(create, "7", "--fields", "age_over_18,document_valid"), &out, &errOut, env(vars)); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`API key:\s+idv_sk_[0-9a-f]+_\S{43}\n`).MatchString(out.String()) ||
		!regexp.MustCompile(`webhook secret: whsec_\S+\n`).MatchString(out.String()) {
		t.Fatalf("tenant create printed:\n%s", &out)
	}
}

func TestCaptureRefusesBadInput(t *testing.T) {
	var out, errOut bytes.Buffer
	ctx := context.Background()
	err := run(ctx, []string{"capture", "--token", "x", "--front", "f.png"}, &out, &errOut, env(nil))
	if err == nil || !strings.Contains(err.Error(), "--selfie") || strings.Contains(err.Error(), "--mrz-file") {
		t.Fatalf("missing flags: %v, want --selfie asked for and --mrz-file not", err)
	}
	dir := t.TempDir()
	// No --mrz-file: the server reads the MRZ from the photo.
	err = run(ctx, []string{"capture", "--token", "x", "--front", dir + "/nope.png", "--selfie", "s.png"},
		&out, &errOut, env(nil))
	if err == nil || !strings.Contains(err.Error(), "read document_front/0") {
		t.Fatalf("missing file: %v", err)
	}
	for _, name := range []string{"f.png", "s.png", "m.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	err = run(ctx, []string{"capture", "--token", "x", "--front", dir + "/f.png", "--selfie", dir + "/s.png",
		"--mrz-file", dir + "/m.txt", "--chip-file", dir + "/nope.bin"}, &out, &errOut, env(nil))
	if err == nil || !strings.Contains(err.Error(), "read chip/0") {
		t.Fatalf("missing chip file: %v", err)
	}
}

func TestConfigRefusesBadValues(t *testing.T) {
	for name, vars := range map[string]map[string]string{
		"ttl":          {"IDV_APP_TOKEN_TTL": "forever"},
		"ttl range":    {"IDV_UPLOAD_TTL": "1s"},
		"log format":   {"IDV_LOG_FORMAT": "xml"},
		"threshold":    {"IDV_FACE_THRESHOLD": "1.5"},
		"turn":         {"IDV_LIVENESS_TURN_DEGREES": "left"},
		"blink":        {"IDV_LIVENESS_BLINK": "0"},
		"country":      {"IDV_PROCESSOR_COUNTRY": "Netherlands"},
		"register":     {"IDV_SUBPROCESSORS_FILE": "/nonexistent/subprocessors.json"},
		"measures":     {"IDV_SECURITY_MEASURES_FILE": "/nonexistent/measures.txt"},
		"image checks": {"IDV_DOCCHECK_IMAGE_CHECKS": "yes"},
		"passive":      {"IDV_LIVENESS_PASSIVE": "yes"},
		"megapixels":   {"IDV_MAX_IMAGE_MEGAPIXELS": "0"},
		"quality":      {"IDV_DOCCHECK_QUALITY": "min_focus=-5"},
		"gigapixels":   {"IDV_MAX_IMAGE_MEGAPIXELS": "1000"},
		"too often":    {"IDV_AUDIT_CHECKPOINT_INTERVAL": "30s"},
		"too seldom":   {"IDV_AUDIT_CHECKPOINT_INTERVAL": "169h"},
	} {
		if _, err := parseConfig(env(vars)); err == nil {
			t.Errorf("%s: accepted %v", name, vars)
		}
	}
	c, err := parseConfig(env(map[string]string{"IDV_FACE_THRESHOLD": "0.5", "IDV_LIVENESS_TURN_DEGREES": "20"}))
	if err != nil || c.FaceThreshold != 0.5 || c.LivenessTurn != 20 || c.LivenessBlink != challenge.DefaultBlink {
		t.Fatalf("thresholds: %+v, %v", c, err)
	}
	if c.AuditCheckpointInterval != 24*time.Hour {
		t.Errorf("IDV_AUDIT_CHECKPOINT_INTERVAL unset: %s, want 24h", c.AuditCheckpointInterval)
	}
	if c, err := parseConfig(env(map[string]string{"IDV_AUDIT_CHECKPOINT_INTERVAL": "6h"})); err != nil || c.AuditCheckpointInterval != 6*time.Hour {
		t.Errorf("IDV_AUDIT_CHECKPOINT_INTERVAL=6h: %s, %v", c.AuditCheckpointInterval, err)
	}
	if c.maxPixels() != 24_000_000 {
		t.Errorf("IDV_MAX_IMAGE_MEGAPIXELS unset: %d pixels, want 24,000,000", c.maxPixels())
	}
	if c, err := parseConfig(env(map[string]string{"IDV_MAX_IMAGE_MEGAPIXELS": "48"})); err != nil || c.maxPixels() != 48_000_000 {
		t.Errorf("IDV_MAX_IMAGE_MEGAPIXELS=48: %d pixels, %v", c.maxPixels(), err)
	}
	if c, err := parseConfig(env(map[string]string{"IDV_DOCCHECK_QUALITY": "min_focus=80"})); err != nil || c.DocQuality.MinFocus != 80 {
		t.Errorf("IDV_DOCCHECK_QUALITY=min_focus=80: %+v, %v", c.DocQuality, err)
	}
	// The document check's image checks are on unless turned off.
	if !c.DocImageChecks {
		t.Error("IDV_DOCCHECK_IMAGE_CHECKS unset: image checks off, want on")
	}
	if c, err := parseConfig(env(map[string]string{"IDV_DOCCHECK_IMAGE_CHECKS": "false"})); err != nil || c.DocImageChecks {
		t.Errorf("IDV_DOCCHECK_IMAGE_CHECKS=false: image checks %v, %v", c.DocImageChecks, err)
	}
	c, _ = parseConfig(env(map[string]string{"DATABASE_URL": "postgres://x", "IDV_KEYSTORE_URL": "postgres://x"}))
	if err := c.requireServices(); err == nil || !strings.Contains(err.Error(), "IDV_MASTER_KEY") {
		t.Fatalf("requireServices: %v", err)
	}
}

// idv capture --wait tells the person what to take again, never the
// decision.
func TestReportChecked(t *testing.T) {
	var out bytes.Buffer
	sess := appclient.Session{SessionID: uuid.New(), Status: "retake_requested", Attempt: 2, MaxAttempts: 3,
		Retake: []schemas.Retake{{Capture: "document", Reasons: []string{"blurry", "glare"}}}}
	if err := reportChecked(sess, &out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "attempt 2 of 3") || !strings.Contains(got, "take the document again: blurry, glare") {
		t.Fatalf("retake report:\n%s", got)
	}
	out.Reset()
	sess.Status = "decided"
	if err := reportChecked(sess, &out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); strings.Contains(got, "approved") || !strings.Contains(got, "decided: the customer has the outcome") {
		t.Fatalf("decided report:\n%s", got)
	}
}
