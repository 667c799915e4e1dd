package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/producers/api"
	"github.com/idv-oss/idv/schemas"
)

// testRegister is the processor configuration of the API tests: one
// sub-processor in the EEA, one outside it.
func testRegister() api.FixedRegister {
	return api.FixedRegister{
		Processor: schemas.Processor{Name: "Example Verifier B.V.", Address: "Keizersgracht 1, Amsterdam",
			Contact: "privacy@verifier.example", DPO: "dpo@verifier.example", Country: "NL"},
		Subprocessors: []schemas.Subprocessor{
			{ID: "hetzner-fsn1", Name: "Hetzner Online GmbH", Purpose: "Hosting of servers and storage",
				Country: "DE", EffectiveDate: "2026-01-01"},
			{ID: "mailer-us", Name: "Mailer Inc.", Purpose: "Operator alert e-mail",
				Country: "US", EffectiveDate: "2026-12-01", TransferSafeguard: "EU-US Data Privacy Framework"},
		},
		Measures: []string{"Staff with production access are screened and bound to confidentiality."},
	}
}

type policyResp struct {
	Fields         []string `json:"fields"`
	DerivedClaims  []string `json:"derived_claims"`
	Checks         []string `json:"checks"`
	SelfieFrames   int      `json:"selfie_frames"`
	RetentionDays  int      `json:"retention_days"`
	DocumentTypes  []string `json:"document_types"`
	IssuingStates  []string `json:"issuing_states"`
	MinimumAge     int      `json:"minimum_age"`
	WebhookPayload string   `json:"webhook_payload"`
	RedactedCopy   bool     `json:"redacted_copy"`
}

func (b *bundle) auditActions(tenantID uuid.UUID) []idv.AuditEvent {
	b.t.Helper()
	evs, err := postgres.NewAudit(b.db.DB).List(context.Background(), tenantID, 0, 1000)
	if err != nil {
		b.t.Fatal(err)
	}
	return evs
}

func TestPolicyReadAndChange(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var p policyResp
	if code := b.call("GET", "/v1/policy", b.a.APIKey, nil, &p); code != http.StatusOK {
		t.Fatalf("GET /v1/policy: %d", code)
	}
	if p.RetentionDays != 7 || p.WebhookPayload != "thin" || len(p.Fields) != 0 ||
		strings.Join(p.DerivedClaims, ",") != "age_over_18,document_valid" {
		t.Fatalf("default policy = %+v", p)
	}
	// A session kept 7 days, to be shortened by the retention change.
	s := b.newSession(b.a.APIKey)

	change := `{"fields":["full_name","nationality"],"derived_claims":["age_over_18"],"document_types":["passport","id_card"],
		"issuing_states":["NLD","D"],"minimum_age":18,"webhook_payload":"full","redacted_copy":true,"retention_days":3}`
	if code := b.call("PATCH", "/v1/policy", b.a.APIKey, change, &p); code != http.StatusOK {
		t.Fatalf("PATCH /v1/policy: %d", code)
	}
	if p.RetentionDays != 3 || p.MinimumAge != 18 || p.WebhookPayload != "full" || !p.RedactedCopy ||
		strings.Join(p.Fields, ",") != "full_name,nationality" || strings.Join(p.IssuingStates, ",") != "NLD,D" {
		t.Fatalf("after PATCH = %+v", p)
	}
	var again policyResp
	b.call("GET", "/v1/policy", b.a.APIKey, nil, &again)
	if again.MinimumAge != 18 || again.RetentionDays != 3 {
		t.Fatalf("GET after PATCH = %+v", again)
	}
	// The retention went through SetRetention: the existing session is shortened.
	var days int
	if err := b.db.Get(&days, `SELECT retention_days FROM sessions WHERE session_id = $1`, s.ID); err != nil || days != 3 {
		t.Fatalf("session retention %d (%v), want 3", days, err)
	}
	// Tenant B is untouched.
	var other policyResp
	b.call("GET", "/v1/policy", b.b.APIKey, nil, &other)
	if other.MinimumAge != 0 || other.RetentionDays != 28 {
		t.Fatalf("tenant B's policy changed: %+v", other)
	}

	evs := b.auditActions(b.a.TenantID)
	var policy, retention *idv.AuditEvent
	for i := range evs {
		switch evs[i].Action {
		case idv.AuditPolicyChanged:
			policy = &evs[i]
		case idv.AuditRetentionChanged:
			retention = &evs[i]
		}
	}
	if policy == nil || retention == nil {
		t.Fatalf("audit entries %+v: want policy_changed and retention_changed", evs)
	}
	want := map[string]string{
		"changed":     "fields,derived_claims,document_types,issuing_states,minimum_age,webhook_payload,redacted_copy",
		"fields_from": "", "fields_to": "full_name,nationality",
		"derived_claims_from": "age_over_18,document_valid", "derived_claims_to": "age_over_18",
		"minimum_age_from": "0", "minimum_age_to": "18",
		"webhook_payload_from": "thin", "webhook_payload_to": "full",
	}
	for k, v := range want {
		if policy.Detail[k] != v {
			t.Errorf("policy_changed detail %s = %q, want %q (detail %v)", k, policy.Detail[k], v, policy.Detail)
		}
	}
	if !strings.HasPrefix(policy.Actor, "tenant_api_key:") || retention.Detail["to_days"] != "3" {
		t.Errorf("actor %q, retention detail %v", policy.Actor, retention.Detail)
	}
	if n, err := postgres.NewAudit(b.db.DB).Verify(context.Background(), b.a.TenantID); err != nil || n != len(evs) {
		t.Errorf("audit chain: %d entries verified of %d: %v", n, len(evs), err)
	}

	// The same values again change nothing and record nothing.
	b.call("PATCH", "/v1/policy", b.a.APIKey, `{"minimum_age":18}`, &p)
	if n := len(b.auditActions(b.a.TenantID)); n != len(evs) {
		t.Errorf("an unchanged setting added audit entries: %d, was %d", n, len(evs))
	}
}

func TestPolicyRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cases := []struct {
		body, setting string
	}{
		{`{"retention_days":29}`, "retention_days"},
		{`{"retention_days":0}`, "retention_days"},
		{`{"fields":["shoe_size"]}`, "fields"},
		{`{"fields":["age_over_18"]}`, "fields"},
		{`{"derived_claims":["full_name"]}`, "derived_claims"},
		{`{"document_types":["library_card"]}`, "document_types"},
		{`{"issuing_states":["nld"]}`, "issuing_states"},
		{`{"minimum_age":120}`, "minimum_age"},
		{`{"webhook_payload":"fat"}`, "webhook_payload"},
		{`{"checks":[]}`, "checks"},
		{`{"selfie_frames":21}`, "selfie_frames"},
		{`{"minimum_age":18,"retention_days":40}`, "retention_days"},
		{`{}`, ""},
	}
	for _, c := range cases {
		var e errBody
		if code := b.call("PATCH", "/v1/policy", b.a.APIKey, c.body, &e); code != http.StatusUnprocessableEntity {
			t.Errorf("PATCH %s: %d, want 422", c.body, code)
			continue
		}
		if e.Error.Code != "invalid_policy" || e.Error.Details["setting"] != c.setting {
			t.Errorf("PATCH %s: %+v, want invalid_policy naming %q", c.body, e.Error, c.setting)
		}
	}
	var e errBody
	if code := b.call("PATCH", "/v1/policy", b.a.APIKey, `{"minimum_ages":18}`, &e); code != http.StatusBadRequest {
		t.Errorf("unknown setting: %d, want 400", code)
	}
	if code := b.call("PATCH", "/v1/policy", "", `{"minimum_age":18}`, &e); code != http.StatusUnauthorized {
		t.Errorf("no key: %d, want 401", code)
	}
	// A refused change (minimum_age valid, retention not) applied nothing.
	var p policyResp
	b.call("GET", "/v1/policy", b.a.APIKey, nil, &p)
	if p.MinimumAge != 0 || p.RetentionDays != 7 {
		t.Errorf("a refused change was partly applied: %+v", p)
	}
	if evs := b.auditActions(b.a.TenantID); len(evs) != 0 {
		t.Errorf("refused changes were audited: %+v", evs)
	}
}

func TestProcessingRecord(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var rec schemas.ProcessingRecord
	if code := b.call("GET", "/v1/processing-record", b.a.APIKey, nil, &rec); code != http.StatusOK {
		t.Fatalf("GET /v1/processing-record: %d", code)
	}
	if rec.Processor.Name != "Example Verifier B.V." || rec.Processor.Contact != "privacy@verifier.example" ||
		rec.Controller.Name != "Tenant A" || rec.Controller.TenantID != b.a.TenantID.String() {
		t.Errorf("processor/controller = %+v / %+v", rec.Processor, rec.Controller)
	}
	if rec.Retention.Days != 7 || rec.Retention.MaxDays != 28 {
		t.Errorf("retention %+v", rec.Retention)
	}
	if len(rec.Subprocessors) != 2 || len(rec.Transfers) != 1 || rec.Transfers[0].Country != "US" ||
		rec.Transfers[0].Safeguard != "EU-US Data Privacy Framework" {
		t.Errorf("sub-processors %+v, transfers %+v", rec.Subprocessors, rec.Transfers)
	}
	if !strings.Contains(strings.Join(rec.SecurityMeasures, "\n"), "screened") {
		t.Errorf("declared measure missing from %v", rec.SecurityMeasures)
	}
	for _, d := range rec.DataCategories {
		if d.Name == "selfie_frames" {
			t.Errorf("tenant A runs no face check, but the record lists %+v", d)
		}
	}
	// The record follows the policy: with face match, biometric data appears.
	b.call("PATCH", "/v1/policy", b.a.APIKey, `{"checks":["document","face"]}`, nil)
	b.call("GET", "/v1/processing-record", b.a.APIKey, nil, &rec)
	special := false
	for _, d := range rec.DataCategories {
		special = special || (d.Name == "selfie_frames" && d.Special)
	}
	if !special {
		t.Errorf("face check on, but no special-category selfie data in %+v", rec.DataCategories)
	}

	req, _ := http.NewRequest("GET", b.url+"/v1/processing-record", nil)
	req.Header.Set("Authorization", "Bearer "+b.a.APIKey)
	req.Header.Set("Accept", "text/markdown")
	resp, err := b.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/markdown") {
		t.Fatalf("markdown: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"# Record of processing activities (GDPR art. 30(2))", "**Tenant A**",
		"| Mailer Inc. | Operator alert e-mail | US | 2026-12-01 |", "Mailer Inc. to US; safeguard: EU-US Data Privacy Framework",
		"Contact: privacy@verifier.example", "7 days (never more than 28)", "**selfie_frames** *(special category, art. 9)*"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestSubprocessorObjection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var list struct {
		Subprocessors []struct {
			ID         string  `json:"id"`
			ObjectedAt *string `json:"objected_at"`
		} `json:"subprocessors"`
	}
	if code := b.call("GET", "/v1/subprocessors", b.a.APIKey, nil, &list); code != http.StatusOK || len(list.Subprocessors) != 2 {
		t.Fatalf("GET /v1/subprocessors: %d %+v", code, list)
	}
	var o struct {
		ID             string `json:"id"`
		SubprocessorID string `json:"subprocessor_id"`
	}
	if code := b.call("POST", "/v1/subprocessors/mailer-us/objection", b.a.APIKey, `{"reason":"no transfers to the US"}`, &o); code != http.StatusCreated {
		t.Fatalf("objection: %d", code)
	}
	first := o.ID
	if code := b.call("POST", "/v1/subprocessors/mailer-us/objection", b.a.APIKey, nil, &o); code != http.StatusOK || o.ID != first {
		t.Errorf("second objection: %d id %s, want 200 and %s", code, o.ID, first)
	}
	var e errBody
	if code := b.call("POST", "/v1/subprocessors/nobody/objection", b.a.APIKey, nil, &e); code != http.StatusNotFound {
		t.Errorf("unknown sub-processor: %d", code)
	}
	b.call("GET", "/v1/subprocessors", b.a.APIKey, nil, &list)
	if list.Subprocessors[1].ObjectedAt == nil || list.Subprocessors[0].ObjectedAt != nil {
		t.Errorf("tenant A's view: %+v", list.Subprocessors)
	}
	b.call("GET", "/v1/subprocessors", b.b.APIKey, nil, &list)
	if list.Subprocessors[1].ObjectedAt != nil {
		t.Errorf("tenant B sees tenant A's objection")
	}
	evs := b.auditActions(b.a.TenantID)
	if len(evs) != 1 || evs[0].Action != idv.AuditSubprocessorObjection || evs[0].Detail["subprocessor_id"] != "mailer-us" {
		t.Errorf("audit %+v: want one subprocessor_objection", evs)
	}
}

func TestDataSubjectRequest(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.newSession(b.a.APIKey)
	var d struct {
		ID   string `json:"id"`
		Kind string `json:"kind"`
	}
	if code := b.call("POST", "/v1/app/session/dsr", s.AppToken, `{"kind":"erasure"}`, &d); code != http.StatusAccepted || d.Kind != "erasure" {
		t.Fatalf("dsr: %d %+v", code, d)
	}
	var e errBody
	if code := b.call("POST", "/v1/app/session/dsr", s.AppToken, `{"kind":"complaint"}`, &e); code != http.StatusUnprocessableEntity ||
		e.Error.Code != "invalid_dsr_kind" {
		t.Errorf("unknown kind: %d %+v", code, e)
	}
	if code := b.call("POST", "/v1/app/session/dsr", s.AppToken, `{"kind":"access","message":"my name is"}`, &e); code != http.StatusBadRequest {
		t.Errorf("free text accepted: %d", code)
	}
	if code := b.call("POST", "/v1/app/session/dsr", b.a.APIKey, `{"kind":"access"}`, &e); code != http.StatusUnauthorized {
		t.Errorf("with an API key: %d", code)
	}
	var body []byte
	if err := b.db.Get(&body, `SELECT body FROM outbox WHERE type = $1 AND subject = $2`, schemas.TypeDSRReceived,
		schemas.Subject(schemas.TypeDSRReceived, s.ID)); err != nil {
		t.Fatal(err)
	}
	if err := schemas.ValidateEvent(schemas.TypeDSRReceived, body); err != nil || !strings.Contains(string(body), d.ID) {
		t.Errorf("event %s: %v", body, err)
	}
	evs := b.auditActions(b.a.TenantID)
	if len(evs) != 1 || evs[0].Action != idv.AuditDSRReceived || evs[0].Detail["kind"] != "erasure" ||
		evs[0].SessionID == nil || evs[0].SessionID.String() != s.ID || evs[0].Actor != "app_token:"+s.ID {
		t.Errorf("audit %+v", evs)
	}
}
