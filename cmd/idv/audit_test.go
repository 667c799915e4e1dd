package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/schemas"
)

// TestAuditVerifyCommand: a retention change by the operator is on record,
// `idv audit verify` counts the chain OK, and after a superuser rewrites an
// entry it names that entry and fails.
func TestAuditVerifyCommand(t *testing.T) {
	mainURL := pgtest.NewURL(t)
	vars := map[string]string{"DATABASE_URL": mainURL, "IDV_KEYSTORE_URL": pgtest.NewURL(t),
		"IDV_MASTER_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"migrate"}, &out, &errOut, env(vars)); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"tenant", "create", "--name", "Acme", "--webhook-url", "https://acme.example/hook",
		"--retention-days", "7"}, &out, &errOut, env(vars)); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`tenant created: ([0-9a-f-]{36})`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("tenant create printed:\n%s", &out)
	}
	tenant := m[1]
	for _, days := range []string{"5", "3"} {
		if err := run(ctx, []string{"tenant", "set-retention", "--tenant", tenant, "--days", days}, &out, &errOut, env(vars)); err != nil {
			t.Fatal(err)
		}
	}
	out.Reset()
	if err := run(ctx, []string{"audit", "verify", "--tenant", tenant}, &out, &errOut, env(vars)); err != nil ||
		!strings.Contains(out.String(), "2 audit entries, chain OK") {
		t.Fatalf("audit verify: %v\n%s", err, &out)
	}

	db, err := postgres.Open(ctx, mainURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	evs, err := postgres.NewAudit(db).List(ctx, uuid.MustParse(tenant), 0, 10)
	if err != nil || len(evs) != 2 || evs[0].Actor != idv.ActorOperator || evs[0].Action != idv.AuditRetentionChanged ||
		evs[1].Detail["from_days"] != "5" || evs[1].Detail["to_days"] != "3" {
		t.Fatalf("audit entries: %+v, %v", evs, err)
	}
	if _, err := db.Exec(`UPDATE audit_events SET detail = '{"from_days": "28", "to_days": "3"}' WHERE seq = $1`, evs[1].Seq); err == nil {
		t.Fatal("an audit entry was changed")
	}
	if _, err := db.Exec(`BEGIN; ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
		UPDATE audit_events SET detail = '{"from_days": "28", "to_days": "3"}' WHERE seq = ` + itoa(evs[1].Seq) + `;
		ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only; COMMIT`); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = run(ctx, []string{"audit", "verify", "--tenant", tenant}, &out, &errOut, env(vars))
	if err == nil || !strings.Contains(out.String(), "BROKEN at seq "+itoa(evs[1].Seq)) {
		t.Fatalf("audit verify after tampering: %v\n%s", err, &out)
	}
	if err := run(ctx, []string{"audit", "verify", "--tenant", "nope"}, &out, &errOut, env(vars)); err == nil {
		t.Fatal("a tenant id that is not a UUID was accepted")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestAuditVerifyAgainstCheckpoint: a tenant keeps a signed checkpoint;
// someone who can write the database then rewrites an entry and re-hashes
// the chain after it, or drops the newest entries. `idv audit verify`
// alone passes both (the chain is consistent); with --checkpoint it fails
// each, naming the rewrite and the truncation, and it passes on the intact
// log, refuses a checkpoint whose signature does not verify and one of
// another tenant.
func TestAuditVerifyAgainstCheckpoint(t *testing.T) {
	a := newAdminSetup(t, "Acme", "Globex")
	ctx := t.Context()
	tenant := a.tenants[0]
	for _, days := range []string{"5", "4", "3"} {
		a.run("tenant", "set-retention", "--tenant", tenant, "--days", days)
	}
	db, err := postgres.Open(ctx, a.vars["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys, err := postgres.Open(ctx, a.vars["IDV_KEYSTORE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	master, _ := vault.ParseMasterKey(a.vars["IDV_MASTER_KEY"])
	v := vault.New(master, keys)
	audit := postgres.NewAudit(db)
	sign := auditSigner(v)
	checkpointFile := func(tenant string) string {
		cp, err := idv.Checkpoint(ctx, audit, sign, uuid.MustParse(tenant), schemas.CheckpointExport, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(cp)
		path := filepath.Join(t.TempDir(), "checkpoint.json")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	kept := checkpointFile(tenant)
	verify := func(file string) (string, error) {
		return a.try("audit", "verify", "--tenant", tenant, "--checkpoint", file)
	}
	if out, err := verify(kept); err != nil || !strings.Contains(out, "chain OK") || !strings.Contains(out, "with the hash the checkpoint signed") {
		t.Fatalf("intact log against its checkpoint: %v\n%s", err, out)
	}
	a.run("tenant", "set-retention", "--tenant", tenant, "--days", "2") // the log goes on after the checkpoint
	if out, err := verify(kept); err != nil {
		t.Fatalf("a log that grew after the checkpoint: %v\n%s", err, out)
	}

	// Refusals: another tenant's checkpoint, a forged signature.
	if out, err := verify(checkpointFile(a.tenants[1])); err == nil || !strings.Contains(out+err.Error(), "not "+tenant) {
		t.Errorf("another tenant's checkpoint: %v\n%s", err, out)
	}
	var forged idv.SignedCheckpoint
	b, _ := os.ReadFile(kept)
	json.Unmarshal(b, &forged)
	forged.Statement = bytes.Replace(forged.Statement, []byte(`"seq":`), []byte(`"seq":1`), 1)
	b, _ = json.Marshal(forged)
	bad := filepath.Join(t.TempDir(), "forged.json")
	os.WriteFile(bad, b, 0o600)
	if out, err := verify(bad); err == nil || !errors.Is(err, idv.ErrCheckpointSignature) && !strings.Contains(out+err.Error(), "signature does not verify") {
		t.Errorf("a forged checkpoint: %v\n%s", err, out)
	}

	evs, err := audit.List(ctx, uuid.MustParse(tenant), 0, 100)
	if err != nil || len(evs) < 4 {
		t.Fatalf("audit entries: %d, %v", len(evs), err)
	}
	tamper := func(stmts ...string) {
		t.Helper()
		q := "BEGIN; ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only; " + strings.Join(stmts, "; ") +
			"; ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only; COMMIT"
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	// Truncation: the newest entries dropped, the checkpoint's among them.
	checkpointSeq := evs[len(evs)-2].Seq // the head when kept was signed
	tamper("DELETE FROM audit_events WHERE tenant_id = '" + tenant + "' AND seq >= " + itoa(checkpointSeq))
	if out, err := a.try("audit", "verify", "--tenant", tenant); err != nil || !strings.Contains(out, "chain OK") {
		t.Fatalf("the truncated chain should verify on its own (that is the gap): %v\n%s", err, out)
	}
	if out, err := verify(kept); err == nil || !strings.Contains(out, "truncated") {
		t.Fatalf("truncation against the checkpoint: %v\n%s", err, out)
	}

	// Rewrite and re-hash: the entries put back, the first one altered and
	// every hash from it on recomputed as IDV would.
	rewritten := evs[:len(evs)-1] // the state kept was signed over
	rewritten[0].Detail = map[string]string{"from_days": "28", "to_days": "27"}
	var stmts []string
	stmts = append(stmts, "DELETE FROM audit_events WHERE tenant_id = '"+tenant+"'")
	prev := rewritten[0].PrevHash
	for i := range rewritten {
		rewritten[i].PrevHash = prev
		rewritten[i].Hash = rewritten[i].ChainHash()
		prev = rewritten[i].Hash
		detail, _ := json.Marshal(rewritten[i].Detail)
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO audit_events (seq, tenant_id, at, actor, action, session_id, detail, prev_hash, hash)
			VALUES (%d, '%s', '%s', '%s', '%s', NULL, '%s', '\x%x', '\x%x')`, rewritten[i].Seq, tenant,
			rewritten[i].At.Format(time.RFC3339Nano), rewritten[i].Actor, rewritten[i].Action, detail, rewritten[i].PrevHash, rewritten[i].Hash))
	}
	tamper(stmts...)
	if out, err := a.try("audit", "verify", "--tenant", tenant); err != nil || !strings.Contains(out, itoa(int64(len(rewritten)))+" audit entries, chain OK") {
		t.Fatalf("the rewritten, re-hashed chain should verify on its own (that is the gap): %v\n%s", err, out)
	}
	if out, err := verify(kept); err == nil || !strings.Contains(out, "rewritten") {
		t.Fatalf("rewrite against the checkpoint: %v\n%s", err, out)
	}
}
