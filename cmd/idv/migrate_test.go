package main

import (
	"crypto/rand"
	"regexp"
	"strings"
	"testing"

	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/natsserver"
	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
)

// operatorEnv is an operator's settings for a fresh system: two migrated-
// to-be databases, a bucket name nobody has created yet on the embedded
// gateway, and a broker (the embedded server, no credentials).
func operatorEnv(t *testing.T, natsURL string) map[string]string {
	t.Helper()
	s3 := s3test.Gateway().ObjectsConfig("t-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")) + "-" + strings.ToLower(rand.Text()[:8]))
	return map[string]string{"DATABASE_URL": pgtest.NewURL(t), "IDV_KEYSTORE_URL": pgtest.NewURL(t),
		"IDV_MASTER_KEY": testMasterKey, "IDV_NATS_URL": natsURL,
		"IDV_S3_ENDPOINT": s3.Endpoint, "IDV_S3_REGION": s3.Region, "IDV_S3_ACCESS_KEY": s3.AccessKey,
		"IDV_S3_SECRET_KEY": s3.SecretKey, "IDV_S3_BUCKET": s3.Bucket}
}

// wantLines fails unless out has exactly one line per pattern, each
// matching its pattern, in order.
func wantLines(t *testing.T, what, out string, patterns ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(patterns) {
		t.Fatalf("%s: %d lines, want %d:\n%s", what, len(lines), len(patterns), out)
	}
	for i, p := range patterns {
		if !regexp.MustCompile(p).MatchString(lines[i]) {
			t.Errorf("%s, line %d: %q does not match %q", what, i+1, lines[i], p)
		}
	}
}

// `idv migrate` prepares everything a part needs, one line per step, and
// a second run finds it all there; a part started without its bucket
// refuses, naming the command that makes it.
func TestMigratePreparesEverything(t *testing.T) {
	t.Parallel()
	ns, err := natsserver.Start(natsserver.NewOptions(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	vars := operatorEnv(t, ns.ClientURL())
	bucket := regexp.QuoteMeta(vars["IDV_S3_BUCKET"])
	const notSupported = `^S3: lifecycle backstop not set: this store does not support lifecycle rules \(NotImplemented\); the wipe deletes every object regardless, .*\(objects expire after 29 days, noncurrent versions 1 day\(s\) later, unfinished uploads are aborted after 1 day\(s\)\)$`
	const stream = `^JetStream: stream IDV \(1 replica\(s\), max age 672h0m0s\) declared, `
	const consumers = `^JetStream: consumers \[doccheck facematch liveness decision notify wipe\] declared, `

	out, stderr, err := runIDV(vars, "migrate")
	if err != nil {
		t.Fatalf("first migrate: %v\n%s%s", err, out, stderr)
	}
	wantLines(t, "first migrate", out,
		`^main database: \d+ migration\(s\) applied \[001_intake `,
		`^key store: \d+ migration\(s\) applied \[001_epoch_keys `,
		`^S3: bucket `+bucket+` created at http://127\.0\.0\.1:\d+$`,
		notSupported,
		stream+`created$`,
		consumers+`all created$`)

	t.Logf("first run:\n%s", out)
	out, stderr, err = runIDV(vars, "migrate")
	if err != nil {
		t.Fatalf("second migrate: %v\n%s%s", err, out, stderr)
	}
	t.Logf("second run:\n%s", out)
	wantLines(t, "second migrate", out,
		`^main database: 0 migration\(s\) applied, already up to date$`,
		`^key store: 0 migration\(s\) applied, already up to date$`,
		`^S3: bucket `+bucket+` already there at http://127\.0\.0\.1:\d+$`,
		notSupported,
		stream+`already there$`,
		consumers+`all already there$`)

	// A consumer deleted by hand comes back, and the line says which.
	nc, js, err := broker.Connect(t.Context(), ns.ClientURL(), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := js.DeleteConsumer(t.Context(), broker.StreamName, "wipe"); err != nil {
		t.Fatal(err)
	}
	out, _, err = runIDV(vars, "migrate")
	if err != nil || !strings.Contains(out, "JetStream: consumers [doccheck facematch liveness decision notify wipe] declared, [wipe] created, the others already there\n") {
		t.Fatalf("migrate after the wipe consumer was deleted: %v\n%s", err, out)
	}
	if _, err := broker.Consumer(t.Context(), js, "wipe"); err != nil {
		t.Fatalf("the wipe consumer after migrate: %v", err)
	}

	cfg, _ := parseConfig(env(vars))
	store, err := objects.New(objects.Config{Endpoint: cfg.S3.Endpoint, Region: cfg.S3.Region, AccessKey: cfg.S3.AccessKey,
		SecretKey: cfg.S3.SecretKey, Bucket: cfg.S3.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Ping(t.Context()); err != nil {
		t.Fatalf("the bucket migrate made: %v", err)
	}

	// Every part checks for its bucket before it starts: here retention,
	// which plays no broker role and would otherwise run.
	vars["IDV_S3_BUCKET"] = "t-nobody-made-this-" + strings.ToLower(rand.Text()[:8])
	_, _, err = runIDV(vars, "retention")
	if err == nil || !strings.Contains(err.Error(), "S3 bucket "+vars["IDV_S3_BUCKET"]+" does not exist at http://") ||
		!strings.Contains(err.Error(), "run `idv migrate`") {
		t.Fatalf("idv retention without its bucket: %v, want a refusal that says to run idv migrate", err)
	}
	t.Logf("refused: %v", err)
}
