package main

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
)

// TestTenantPolicyCommand: the operator shows and changes a policy; a
// refused change names the setting and changes nothing; the change is on
// record with the operator as actor and the settings' old and new values.
func TestTenantPolicyCommand(t *testing.T) {
	a := newAdminSetup(t, "Acme")
	tenant := a.tenants[0]
	out := a.run("tenant", "policy", "show", "--tenant", tenant)
	for _, want := range []string{"derived_claims:  age_over_18,document_valid", "retention_days:  7",
		"issuing_states:  (any)", "webhook_payload: thin"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if out, err := a.try("tenant", "policy", "set", "--tenant", tenant, "--minimum-age", "18", "--retention-days", "30"); err == nil ||
		!strings.Contains(err.Error(), "retention_days") {
		t.Fatalf("retention 30 accepted or not named: %v\n%s", err, out)
	}
	out = a.run("tenant", "policy", "set", "--tenant", tenant, "--minimum-age", "18", "--issuing-states", "NLD,BEL",
		"--document-types", "passport", "--retention-days", "3")
	if !strings.Contains(out, "minimum_age:     18") || !strings.Contains(out, "issuing_states:  NLD,BEL") ||
		!strings.Contains(out, "retention_days:  3") {
		t.Fatalf("set printed:\n%s", out)
	}
	a.run("tenant", "policy", "set", "--tenant", tenant, "--issuing-states=", "--light-challenge")
	if out := a.run("tenant", "policy", "show", "--tenant", tenant); !strings.Contains(out, "issuing_states:  (any)") ||
		!strings.Contains(out, "light_challenge: true") {
		t.Errorf("clearing issuing states, adding the light challenge:\n%s", out)
	}
	evs, err := postgres.NewAudit(a.db.DB).List(context.Background(), uuid.MustParse(tenant), 0, 10)
	if err != nil || len(evs) != 3 {
		t.Fatalf("audit entries %+v, %v: want policy_changed, retention_changed, policy_changed", evs, err)
	}
	p := evs[0]
	if p.Action != idv.AuditPolicyChanged || p.Actor != idv.ActorOperator ||
		p.Detail["changed"] != "document_types,issuing_states,minimum_age" || p.Detail["issuing_states_to"] != "NLD,BEL" ||
		p.Detail["minimum_age_from"] != "0" || evs[1].Action != idv.AuditRetentionChanged ||
		evs[2].Detail["issuing_states_from"] != "NLD,BEL" || evs[2].Detail["issuing_states_to"] != "" ||
		evs[2].Detail["changed"] != "issuing_states,light_challenge" || evs[2].Detail["light_challenge_to"] != "true" {
		t.Errorf("audit entries: %+v", evs)
	}
	if out := a.run("audit", "verify", "--tenant", tenant); !strings.Contains(out, "3 audit entries, chain OK") {
		t.Errorf("audit verify: %s", out)
	}
}
