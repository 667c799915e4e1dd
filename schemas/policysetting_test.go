package schemas

import (
	"errors"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestPolicyChangeApply(t *testing.T) {
	cases := []struct {
		name    string
		change  PolicyChange
		setting string // "" for accepted
	}{
		{"claims only", PolicyChange{DerivedClaims: ptr([]string{"age_over_16"})}, ""},
		{"claim named as field", PolicyChange{Fields: ptr([]string{"age_over_18"})}, SettingFields},
		{"field named as claim", PolicyChange{DerivedClaims: ptr([]string{"full_name"})}, SettingDerivedClaims},
		{"document types", PolicyChange{DocumentTypes: ptr([]string{"passport", "id_card"})}, ""},
		{"unknown document type", PolicyChange{DocumentTypes: ptr([]string{"passport", "library_card"})}, SettingDocumentTypes},
		{"state codes", PolicyChange{IssuingStates: ptr([]string{"NLD", "D", "GBD"})}, ""},
		{"lower-case state", PolicyChange{IssuingStates: ptr([]string{"nld"})}, SettingIssuingStates},
		{"state twice", PolicyChange{IssuingStates: ptr([]string{"NLD", "NLD"})}, SettingIssuingStates},
		{"minimum age 18", PolicyChange{MinimumAge: ptr(18)}, ""},
		{"minimum age -1", PolicyChange{MinimumAge: ptr(-1)}, SettingMinimumAge},
		{"minimum age 100", PolicyChange{MinimumAge: ptr(100)}, SettingMinimumAge},
		{"full payload", PolicyChange{WebhookPayload: ptr("full")}, ""},
		{"odd payload", PolicyChange{WebhookPayload: ptr("medium")}, SettingWebhookPayload},
		{"retention 28", PolicyChange{RetentionDays: ptr(28)}, ""},
		{"retention 29", PolicyChange{RetentionDays: ptr(29)}, SettingRetentionDays},
		{"no checks", PolicyChange{Checks: ptr([]string{})}, SettingChecks},
	}
	for _, c := range cases {
		_, err := c.change.Apply(DefaultPolicy())
		var se *SettingError
		switch {
		case c.setting == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.setting != "" && (!errors.As(err, &se) || se.Setting != c.setting):
			t.Errorf("%s: %v, want a SettingError naming %s", c.name, err, c.setting)
		}
	}
}

func TestDocumentTypeOf(t *testing.T) {
	for code, want := range map[string]string{"P": DocumentPassport, "PO": DocumentPassport, "I": DocumentIDCard,
		"ID": DocumentIDCard, "AC": DocumentIDCard, "C": DocumentIDCard, "V": DocumentVisa, "X": "", "": ""} {
		if got := DocumentTypeOf(code); got != want {
			t.Errorf("DocumentTypeOf(%q) = %q, want %q", code, got, want)
		}
	}
}

func TestBreachCategories(t *testing.T) {
	claimsOnly := DefaultPolicy()
	withFields := DefaultPolicy()
	withFields.Fields = append(withFields.Fields, "full_name")
	cases := []struct {
		stages []string
		face   bool
		p      Policy
		want   string
	}{
		{[]string{BreachStorage}, false, claimsOnly, "identity_document_images,machine_readable_zone"},
		{[]string{BreachStorage}, true, claimsOnly, "identity_document_images,machine_readable_zone,selfie_frames"},
		{[]string{BreachDatabase}, false, claimsOnly, "derived_claims,verification_results"},
		{[]string{BreachDatabase}, false, withFields, "extracted_fields,derived_claims,verification_results"},
		{[]string{BreachNotify, BreachAPI}, true, withFields, "verification_results"},
		{[]string{BreachKeyStore}, true, withFields,
			"identity_document_images,machine_readable_zone,selfie_frames,extracted_fields,derived_claims,verification_results"},
		{[]string{BreachFaceMatch}, false, claimsOnly, "identity_document_images"},
	}
	for _, c := range cases {
		if got := strings.Join(BreachCategories(c.stages, c.face, c.p), ","); got != c.want {
			t.Errorf("%v face=%v: %s, want %s", c.stages, c.face, got, c.want)
		}
	}
	if ValidateBreachStages(nil) == nil || ValidateBreachStages([]string{"moon"}) == nil || ValidateBreachStages([]string{"api"}) != nil {
		t.Error("stage validation")
	}
}
