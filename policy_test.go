package idv_test

import (
	"testing"

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
