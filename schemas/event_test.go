package schemas

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

func TestSessionSubmittedMatchesItsSchema(t *testing.T) {
	raw, err := EventSchema(TypeSessionSubmitted)
	if err != nil {
		t.Fatal(err)
	}
	var schema openapi3.Schema
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	good := SessionSubmitted{SessionID: "6f1c9a52-8a1e-4a8e-9d0f-0c1b2a3d4e5f", TenantID: "0b1c9a52-8a1e-4a8e-9d0f-0c1b2a3d4e5f",
		Checks: []string{"document"}, SubmittedAt: time.Now().UTC()}
	if err := visit(&schema, good); err != nil {
		t.Fatalf("event does not match its schema: %v", err)
	}
	bad := map[string]any{"session_id": good.SessionID, "tenant_id": good.TenantID, "checks": []string{"document"},
		"submitted_at": good.SubmittedAt, "full_name": "somebody"}
	if err := visit(&schema, bad); err == nil || !strings.Contains(err.Error(), "full_name") {
		t.Fatalf("schema admits a personal field: %v", err)
	}
}

func visit(s *openapi3.Schema, v any) error {
	b, _ := json.Marshal(v)
	var generic any
	json.Unmarshal(b, &generic)
	return s.VisitJSON(generic)
}

func TestSubjectAndMsgID(t *testing.T) {
	if got := Subject(TypeSessionSubmitted, "abc"); got != "idv.session.submitted.abc" {
		t.Fatal(got)
	}
	if got := MsgID(TypeSessionSubmitted, "abc"); got != "idv.session.submitted:abc" {
		t.Fatal(got)
	}
}
