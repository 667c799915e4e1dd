package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// PolicyEditor changes a tenant's policy and retention (tenant.Policies),
// validating the change in full and writing the audit entries.
type PolicyEditor interface {
	Update(ctx context.Context, tenantID uuid.UUID, ch schemas.PolicyChange) (idv.Tenant, error)
}

// policyBody is the tenant's policy as the API shows it: every setting,
// personal-data fields and derived claims apart.
type policyBody struct {
	Fields         []string `json:"fields"`
	DerivedClaims  []string `json:"derived_claims"`
	Checks         []string `json:"checks"`
	SelfieFrames   int      `json:"selfie_frames"`
	AllowSpecimen  bool     `json:"allow_specimen"`
	RetentionDays  int      `json:"retention_days"`
	DocumentTypes  []string `json:"document_types"`
	IssuingStates  []string `json:"issuing_states"`
	MinimumAge     int      `json:"minimum_age"`
	WebhookPayload string   `json:"webhook_payload"`
	RedactedCopy   bool     `json:"redacted_copy"`
	Minors         string   `json:"minors"`
	BSNLegalBasis  string   `json:"bsn_legal_basis"`
	MaxAttempts    int      `json:"max_attempts"`
	LightChallenge bool     `json:"light_challenge"`
	// What the capture page shows (schemas/pagesetting.go); "" for none.
	Purpose           string `json:"purpose"`
	ControllerContact string `json:"controller_contact"`
	PrivacyNoticeURL  string `json:"privacy_notice_url"`
	// Where the page may send the person at the end, and who may frame
	// it; TenantID names the page's framed path, /capture/t/{tenant_id}/.
	ReturnURLs   []string  `json:"return_urls"`
	EmbedOrigins []string  `json:"embed_origins"`
	TenantID     uuid.UUID `json:"tenant_id"`
	// The page's branding (the logo is apart: PUT /v1/branding/logo).
	DisplayName string `json:"display_name"`
	BrandColour string `json:"brand_colour"`
}

func toPolicyBody(t idv.Tenant) policyBody {
	p := t.Policy
	orEmpty := func(v []string) []string {
		if v == nil {
			return []string{}
		}
		return v
	}
	return policyBody{Fields: p.PersonalFields(), DerivedClaims: p.Claims(), Checks: orEmpty(p.Checks),
		SelfieFrames: p.SelfieFrames, AllowSpecimen: p.AllowSpecimen, RetentionDays: t.RetentionDays,
		DocumentTypes: orEmpty(p.DocumentTypes), IssuingStates: orEmpty(p.IssuingStates),
		MinimumAge: p.MinimumAge, WebhookPayload: p.Payload(), RedactedCopy: p.RedactedCopy, Minors: p.MinorsRule(), BSNLegalBasis: p.BSNLegalBasis,
		MaxAttempts: p.Attempts(), LightChallenge: p.LightChallenge, Purpose: p.Purpose, ControllerContact: p.ControllerContact, PrivacyNoticeURL: p.PrivacyNoticeURL,
		ReturnURLs: orEmpty(p.ReturnURLs), EmbedOrigins: orEmpty(p.EmbedOrigins), TenantID: t.ID,
		DisplayName: p.DisplayName, BrandColour: p.BrandColour}
}

func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tenants.Get(r.Context(), tenantOf(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toPolicyBody(t))
	return nil
}

// patchPolicy changes the settings the body names and leaves the others.
// The whole change is validated before any of it is applied; a refusal is
// 422 invalid_policy naming the setting in details.setting.
func (s *Server) patchPolicy(w http.ResponseWriter, r *http.Request) error {
	var ch schemas.PolicyChange
	if err := decode(w, r, &ch, false); err != nil {
		return err
	}
	if ch.Empty() {
		return apiErr(http.StatusUnprocessableEntity, "invalid_policy", "the body names no setting to change")
	}
	t, err := s.duties.Policies.Update(r.Context(), tenantOf(r), ch)
	var se *schemas.SettingError
	if errors.As(err, &se) {
		return apiErr(http.StatusUnprocessableEntity, "invalid_policy", "%v", se).with("setting", se.Setting)
	}
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "policy changed", "tenant_id", t.ID)
	writeJSON(w, http.StatusOK, toPolicyBody(t))
	return nil
}
