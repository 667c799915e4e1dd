package idv_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

func TestPolicyDiff(t *testing.T) {
	old := schemas.DefaultPolicy()
	if d := idv.PolicyDiff(old, old); d != nil {
		t.Errorf("no change: %v", d)
	}
	next, err := schemas.PolicyChange{Fields: ptr([]string{"nationality"}), WebhookPayload: ptr("thin")}.Apply(old)
	if err != nil {
		t.Fatal(err)
	}
	d := idv.PolicyDiff(old, next)
	// "thin" is the default: naming it changes nothing.
	if d["changed"] != "fields" || d["fields_from"] != "" || d["fields_to"] != "nationality" || len(d) != 3 {
		t.Errorf("diff %v", d)
	}
	if got := next.Fields; len(got) != 3 || got[0] != "nationality" {
		t.Errorf("fields and claims kept together: %v", got)
	}
}

func TestPolicyDiffNamesTheLegalBasis(t *testing.T) {
	basis := "Wwft art. 33"
	q, err := schemas.PolicyChange{BSNLegalBasis: &basis}.Apply(schemas.DefaultPolicy())
	if err != nil || idv.PolicyDiff(schemas.DefaultPolicy(), q)["changed"] != schemas.SettingBSNLegalBasis {
		t.Fatalf("change: %+v, %v", q, err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestPolicyDiffNamesThePageSettings: the consent screen's settings are
// audited like the others, from and to.
func TestPolicyDiffNamesThePageSettings(t *testing.T) {
	purpose, contact, notice := "Opening an account", "privacy@example.com", "https://example.com/privacy"
	q, err := schemas.PolicyChange{Purpose: &purpose, ControllerContact: &contact, PrivacyNoticeURL: &notice}.Apply(schemas.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	d := idv.PolicyDiff(schemas.DefaultPolicy(), q)
	if d["changed"] != "purpose,controller_contact,privacy_notice_url" || d["purpose_to"] != idv.Fingerprint(purpose) ||
		d["controller_contact_to"] != idv.Fingerprint(contact) || d["privacy_notice_url_to"] != idv.Fingerprint(notice) || d["purpose_from"] != "" {
		t.Errorf("diff %v", d)
	}
	// Codes only: the entry is one the audit log takes.
	e := idv.AuditEntry{TenantID: uuid.New(), Actor: "operator:cli", Action: "policy_changed", Detail: d}
	if err := e.Validate(); err != nil {
		t.Errorf("the diff's audit entry: %v", err)
	}
	if idv.Fingerprint(purpose) == idv.Fingerprint(purpose+".") || idv.Fingerprint("") != "" {
		t.Error("fingerprints do not tell texts apart")
	}
}
