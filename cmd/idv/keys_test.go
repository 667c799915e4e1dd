package main

import (
	"context"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/credential"
	"github.com/idv-oss/idv/infra/postgres"
)

// TestTenantKeysCommand: the operator lists, creates, rotates and revokes
// a tenant's API keys; a new key is printed once and works, a listing
// shows no secret, the rotated key ends when its overlap does, the last
// key without an end is kept, and each change is on record with the
// operator as actor.
func TestTenantKeysCommand(t *testing.T) {
	a := newAdminSetup(t, "Acme", "Other")
	tenant := a.tenants[0]
	tenantID := uuid.MustParse(tenant)
	tenants := postgres.NewTenants(a.db.DB)
	ctx := context.Background()
	shown := regexp.MustCompile(`API key: (idv_sk_[0-9a-f]+_[A-Za-z0-9_-]{43})`)

	out := a.run("tenant", "keys", "list", "--tenant", tenant)
	rows := regexp.MustCompile(`(?m)^([0-9a-f]{16})  idv_sk_([0-9a-f]{16}) +active `).FindAllStringSubmatch(out, -1)
	if len(rows) != 1 || rows[0][1] != rows[0][2] {
		t.Fatalf("list printed:\n%s", out)
	}
	first := rows[0][1]

	out = a.run("tenant", "keys", "create", "--tenant", tenant)
	m := shown.FindStringSubmatch(out)
	if m == nil || strings.Count(out, m[1]) != 1 {
		t.Fatalf("create printed:\n%s", out)
	}
	created, err := credential.Parse(credential.APIKey, m[1])
	if err != nil {
		t.Fatal(err)
	}
	if k, err := tenants.APIKey(ctx, created.ID); err != nil || !created.Matches(k.SecretHash) || k.TenantID != tenantID || !k.Live(time.Now()) {
		t.Fatalf("the created key as stored: %+v, %v", k, err)
	}

	out = a.run("tenant", "keys", "rotate", "--tenant", tenant, "--key", first, "--overlap", "2h")
	m = shown.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "replaces "+first+", which works until ") {
		t.Fatalf("rotate printed:\n%s", out)
	}
	rotated, _ := credential.Parse(credential.APIKey, m[1])
	old, err := tenants.APIKey(ctx, first)
	if err != nil || old.RevokedAt == nil || !old.Live(time.Now()) || old.Live(time.Now().Add(2*time.Hour)) {
		t.Fatalf("the rotated key should work for two hours: %+v, %v", old, err)
	}

	out = a.run("tenant", "keys", "list", "--tenant", tenant)
	for _, c := range []credential.Credential{created, rotated} {
		if strings.Contains(out, base64.RawURLEncoding.EncodeToString(c.Secret)) || !strings.Contains(out, "idv_sk_"+c.ID) {
			t.Errorf("list shows a secret or lacks key %s:\n%s", c.ID, out)
		}
	}
	if !strings.Contains(out, first+"  idv_sk_"+first+"  expiring") {
		t.Errorf("list does not show the rotated key expiring:\n%s", out)
	}

	a.run("tenant", "keys", "revoke", "--tenant", tenant, "--key", created.ID)
	if k, _ := tenants.APIKey(ctx, created.ID); k.Live(time.Now()) {
		t.Error("the revoked key works")
	}
	if out, err := a.try("tenant", "keys", "revoke", "--tenant", tenant, "--key", rotated.ID); err == nil ||
		!strings.Contains(err.Error(), "last API key") {
		t.Fatalf("revoking the last key without an end: %v\n%s", err, out)
	}
	other := a.tenants[1]
	otherKeys, _ := tenants.APIKeys(ctx, uuid.MustParse(other))
	if out, err := a.try("tenant", "keys", "revoke", "--tenant", tenant, "--key", otherKeys[0].ID); err == nil ||
		!strings.Contains(err.Error(), "not found") {
		t.Errorf("revoking another tenant's key: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"rotate", "--tenant", tenant}, {"list", "--tenant", tenant, "--key", first},
		{"rotate", "--tenant", tenant, "--key", rotated.ID, "--overlap", "169h"}, {"drop", "--tenant", tenant}} {
		if out, err := a.try(append([]string{"tenant", "keys"}, args...)...); err == nil {
			t.Errorf("tenant keys %v accepted:\n%s", args, out)
		}
	}

	evs, err := postgres.NewAudit(a.db.DB).List(ctx, tenantID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.Action+" "+e.Actor+" "+e.Detail["key_id"])
	}
	want := []string{idv.AuditAPIKeyCreated + " operator:cli " + created.ID, idv.AuditAPIKeyRotated + " operator:cli " + first,
		idv.AuditAPIKeyRevoked + " operator:cli " + created.ID}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || evs[1].Detail["new_key_id"] != rotated.ID ||
		evs[1].Detail["overlap_seconds"] != "7200" {
		t.Errorf("audit entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if out := a.run("audit", "verify", "--tenant", tenant); !strings.Contains(out, "3 audit entries, chain OK") {
		t.Errorf("audit verify: %s", out)
	}
}
