package main

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/natsserver"
	"github.com/idv-oss/idv/infra/postgres"
)

// doctorLines runs `idv doctor` and returns its lines (the summary last)
// and its error.
func doctorLines(t *testing.T, vars map[string]string) ([]string, error) {
	t.Helper()
	out, stderr, err := runIDV(vars, "doctor")
	if stderr != "" {
		t.Errorf("idv doctor wrote to stderr: %s", stderr)
	}
	t.Logf("idv doctor:\n%s", out)
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n"), err
}

// hasLine fails unless one of lines matches pattern.
func hasLine(t *testing.T, lines []string, pattern string) {
	t.Helper()
	re := regexp.MustCompile(pattern)
	for _, l := range lines {
		if re.MatchString(l) {
			return
		}
	}
	t.Errorf("no line matches %q", pattern)
}

// `idv doctor` on a system `idv migrate` prepared, with the broker's roles
// as production runs them: every check passes (the gateway's missing
// lifecycle rules are skipped, not failed). Then, with the wrong bucket, a
// key store that does not exist, a tenant whose webhook URL was written to
// the database directly, one role's key swapped for another's and the main
// database's synchronous_commit off, it names each and exits non-zero.
func TestDoctor(t *testing.T) {
	t.Parallel()
	roles, err := broker.Roles(specs(pipeline)...)
	if err != nil {
		t.Fatal(err)
	}
	opts := natsserver.NewOptions(t.TempDir())
	opts.Secure = &natsserver.Secure{Roles: roles, Dir: filepath.Join(t.TempDir(), "access")}
	ns, err := natsserver.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	vars := operatorEnv(t, ns.ClientURL())
	vars["IDV_NATS_NKEY_DIR"], vars["IDV_NATS_TLS_CA"] = ns.Access().KeyDir, ns.Access().CAFile
	if out, stderr, err := runIDV(vars, "migrate"); err != nil {
		t.Fatalf("migrate: %v\n%s%s", err, out, stderr)
	}
	if out, stderr, err := runIDV(vars, "tenant", "create", "--name", "Acme", "--webhook-url", "https://acme.example/hook", "--retention-days", "7"); err != nil {
		t.Fatalf("tenant create: %v\n%s%s", err, out, stderr)
	}

	lines, err := doctorLines(t, vars)
	if err != nil {
		t.Fatalf("idv doctor on a working system: %v", err)
	}
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "OK    ") && !strings.HasPrefix(l, "SKIP  S3 lifecycle backstop: ") {
			t.Errorf("working system: %q", l)
		}
	}
	for _, p := range []string{
		`^OK    configuration: `,
		`^OK    master key: [0-9a-f]{16}; every live epoch key is sealed under a configured master key$`,
		`^OK    main database: PostgreSQL 1\d\.\d+ \(IDV needs 15\.0 or later\), connected as idv_app$`,
		`^OK    durability \(main database\): fsync on, synchronous_commit (on|local|remote_write|remote_apply), full_page_writes on$`,
		`^OK    clock \(main database\): -?\d+(\.\d+)?m?s from this host's$`,
		`^OK    main database migrations: all \d+ applied$`,
		`^OK    key store: PostgreSQL 1\d\.\d+, epoch keys readable$`,
		`^OK    durability \(key store\): fsync on, synchronous_commit (on|local|remote_write|remote_apply), full_page_writes on$`,
		`^OK    key store migrations: all 4 applied$`,
		`^OK    S3 bucket: ` + vars["IDV_S3_BUCKET"] + ` at http://127\.0\.0\.1:\d+$`,
		`^SKIP  S3 lifecycle backstop: this store has no lifecycle rules`,
		`^OK    NATS as operator: nats-server 2\.\d+\.\d+, stream IDV and consumers \[doccheck facematch liveness decision notify wipe\] readable$`,
		`^OK    NATS as relay: nats-server 2\.\d+\.\d+, JetStream account info readable`,
		`^OK    NATS as doccheck: nats-server 2\.\d+\.\d+, consumer doccheck readable$`,
		`^OK    NATS as wipe: nats-server 2\.\d+\.\d+, consumer wipe readable$`,
		`^OK    clock \(NATS\): `,
		`^OK    tenant webhook URLs: 1 tenant\(s\), every URL passes the check$`,
		`^\d+ OK, 0 failed, 0 warning\(s\)$`,
	} {
		hasLine(t, lines, p)
	}

	// Broken: a tenant whose URL no check saw, the wrong bucket, a key
	// store that does not exist, the decision role holding doccheck's key,
	// and the main database's commits acknowledged before they are on disk.
	db, err := postgres.Open(t.Context(), vars["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), `DO $$ BEGIN
		EXECUTE format('ALTER DATABASE %I SET synchronous_commit = off', current_database()); END $$`); err != nil {
		t.Fatal(err)
	}
	bad := uuid.New()
	if _, err := db.ExecContext(t.Context(), `INSERT INTO tenants (tenant_id, name, retention_days, webhook_url, webhook_secret_sealed, policy)
		VALUES ($1, 'Legacy', 7, 'http://10.0.0.7/hook', '\x00', '{}')`, bad); err != nil {
		t.Fatal(err)
	}
	keys := t.TempDir()
	for _, r := range broker.RoleNames(roles) {
		from := r
		if r == "decision" {
			from = "doccheck"
		}
		seed, err := os.ReadFile(broker.KeyFile(vars["IDV_NATS_NKEY_DIR"], from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(broker.KeyFile(keys, r), seed, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	broken := map[string]string{}
	for k, v := range vars {
		broken[k] = v
	}
	broken["IDV_S3_BUCKET"] = "t-nobody-made-this-one"
	u, _ := url.Parse(vars["IDV_KEYSTORE_URL"])
	u.Path = "/idv_test_no_such_keystore"
	broken["IDV_KEYSTORE_URL"] = u.String()
	broken["IDV_NATS_NKEY_DIR"] = keys

	lines, err = doctorLines(t, broken)
	if err == nil || !strings.Contains(err.Error(), "check(s) failed") {
		t.Fatalf("idv doctor on a broken system: %v, want failed checks", err)
	}
	for _, p := range []string{
		`^OK    main database: PostgreSQL`,
		`^FAIL  durability \(main database\): synchronous_commit off: a crash can lose commits IDV has acted on; set them on in postgresql.conf `,
		`^FAIL  key store: postgres: connect: .*database "idv_test_no_such_keystore" does not exist.*; create the database, then run ` + "`idv migrate`$",
		`^FAIL  S3 bucket: S3 bucket t-nobody-made-this-one does not exist at http://127\.0\.0\.1:\d+: run ` + "`idv migrate`",
		`^FAIL  NATS as decision: nats: permissions violation: .*_INBOX_IDV\.decision.*; the key in IDV_NATS_NKEY_DIR is not the decision role's`,
		`^OK    NATS as doccheck: `,
		`^FAIL  tenant ` + bad.String() + ` webhook URL: .*https://.*; set a valid one: idv tenant webhook set-url --tenant ` + bad.String() + ` --url https://…$`,
		`^\d+ OK, 5 failed, 0 warning\(s\)$`,
	} {
		hasLine(t, lines, p)
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "OK    tenant webhook URLs") {
			t.Errorf("a bad webhook URL, yet %q", l)
		}
	}

	// A configuration that does not parse is the one check made.
	broken["IDV_LOG_FORMAT"] = "xml"
	lines, err = doctorLines(t, broken)
	if err == nil || len(lines) != 3 || !strings.HasPrefix(lines[0], "FAIL  configuration: IDV_LOG_FORMAT must be text or json") ||
		lines[1] != "SKIP  the other checks: they need a configuration that parses" {
		t.Fatalf("idv doctor with IDV_LOG_FORMAT=xml: %v\n%s", err, strings.Join(lines, "\n"))
	}
}

// A server's clock more than 2 s (and half the round trip) from this
// host's is a warning; one that says no time is skipped.
func TestCheckClock(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name  string
		c     clockReading
		want  string
		warns int
	}{
		{"same", clockReading{theirs: now.Add(50 * time.Millisecond), before: now, after: now.Add(100 * time.Millisecond)}, "OK    clock: 0s from this host's", 0},
		{"behind", clockReading{theirs: now.Add(-1500 * time.Millisecond), before: now, after: now.Add(10 * time.Millisecond)}, "OK    clock: -1.505s from this host's", 0},
		{"ahead", clockReading{theirs: now.Add(3 * time.Second), before: now, after: now.Add(10 * time.Millisecond)}, "WARN  clock: this host's clock is 2.995s from the server's (more than 2s): run NTP", 1},
		{"slow round trip", clockReading{theirs: now.Add(3 * time.Second), before: now, after: now.Add(4 * time.Second)}, "OK    clock: 1s from this host's", 0},
		{"no time", clockReading{before: now, after: now}, "SKIP  clock: the server did not say its time", 0},
	} {
		var out bytes.Buffer
		r := &report{w: &out}
		checkClock(r, "clock", tt.c)
		if !strings.HasPrefix(out.String(), tt.want) || r.warn != tt.warns || r.failed != 0 {
			t.Errorf("%s: %q (%d warnings), want %q", tt.name, out.String(), r.warn, tt.want)
		}
	}
}
