package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
)

// TestTenantWebhookCommand: the operator changes a tenant's webhook URL
// (refused when private, unless development allows it) and rotates its
// secret; the new secret is printed once, show never prints a secret, and
// each change is on record with the operator as actor.
func TestTenantWebhookCommand(t *testing.T) {
	a := newAdminSetup(t, "Acme", "Other")
	tenant := a.tenants[0]
	tenantID := uuid.MustParse(tenant)

	if out, err := a.try("tenant", "webhook", "set-url", "--tenant", tenant, "--url", "https://169.254.169.254/"); err == nil {
		t.Fatalf("a metadata address was taken:\n%s", out)
	}
	out := a.run("tenant", "webhook", "set-url", "--tenant", tenant, "--url", "https://hooks.example.test/new")
	if !strings.Contains(out, "url:            https://hooks.example.test/new") {
		t.Fatalf("set-url printed:\n%s", out)
	}
	out = a.run("tenant", "webhook", "rotate-secret", "--tenant", tenant, "--overlap", "2h")
	m := regexp.MustCompile(`webhook secret: (whsec_[A-Za-z0-9+/]{43}=)`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "secret overlap: until ") {
		t.Fatalf("rotate-secret printed:\n%s", out)
	}
	if _, err := idv.ParseSecret(m[1]); err != nil {
		t.Fatal(err)
	}
	out = a.run("tenant", "webhook", "show", "--tenant", tenant)
	if strings.Contains(out, "whsec_") || !strings.Contains(out, "secret overlap: until ") {
		t.Fatalf("show printed:\n%s", out)
	}
	for _, args := range [][]string{{"show"}, {"set-url", "--tenant", tenant}, {"show", "--tenant", tenant, "--url", "https://x.example/"},
		{"rotate-secret", "--tenant", tenant, "--overlap", "169h"}, {"frob", "--tenant", tenant}} {
		if out, err := a.try(append([]string{"tenant", "webhook"}, args...)...); err == nil {
			t.Errorf("%v accepted:\n%s", args, out)
		}
	}
	evs, err := postgres.NewAudit(a.db.DB).List(context.Background(), tenantID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		if ev.Action == idv.AuditWebhookURLChanged || ev.Action == idv.AuditWebhookSecretRotated {
			got = append(got, ev.Action+" "+ev.Actor)
		}
	}
	want := []string{idv.AuditWebhookURLChanged + " " + idv.ActorOperator, idv.AuditWebhookSecretRotated + " " + idv.ActorOperator}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("audit entries %v, want %v", got, want)
	}
}
