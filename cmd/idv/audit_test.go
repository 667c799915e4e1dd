package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
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
