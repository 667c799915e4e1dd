package schemas

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Policy setting names, as the API, the CLI and the audit log name them.
const (
	SettingFields         = "fields"
	SettingDerivedClaims  = "derived_claims"
	SettingChecks         = "checks"
	SettingSelfieFrames   = "selfie_frames"
	SettingAllowSpecimen  = "allow_specimen"
	SettingRetentionDays  = "retention_days"
	SettingDocumentTypes  = "document_types"
	SettingIssuingStates  = "issuing_states"
	SettingMinimumAge     = "minimum_age"
	SettingWebhookPayload = "webhook_payload"
	SettingRedactedCopy   = "redacted_copy"
	SettingMinors         = "minors"
	SettingBSNLegalBasis  = "bsn_legal_basis"
	SettingMaxAttempts    = "max_attempts"
	SettingLightChallenge = "light_challenge"
)

// FieldBSN is the policy field of the Dutch citizen service number: never
// extracted unless the policy names its legal basis.
const FieldBSN = "bsn"

// MaxLegalBasis bounds the length of a named legal basis.
const MaxLegalBasis = 200

// What becomes of a document holder under MinorAge.
const (
	MinorsReview  = "review"  // to review: parental consent is required (the default)
	MinorsDecline = "decline" // the document check fails
	// MinorAge is the age below which a person needs a parent's consent to
	// the processing of their data in the Netherlands (UAVG art. 5).
	MinorAge = 16
)

// DerivedClaims are the policy fields that are claims about the person
// rather than data taken from the document; a policy should prefer them.
var DerivedClaims = []string{"age_over_16", "age_over_18", "document_valid"}

// Document types a policy may accept, and the MRZ document codes (first
// letter) each stands for.
const (
	DocumentPassport = "passport" // P
	DocumentIDCard   = "id_card"  // I, A, C
	DocumentVisa     = "visa"     // V
)

// DocumentTypes are the document types a policy may name.
var DocumentTypes = []string{DocumentPassport, DocumentIDCard, DocumentVisa}

// DocumentTypeOf maps an MRZ document code to its policy document type,
// "" for a code no type covers.
func DocumentTypeOf(code string) string {
	if code == "" {
		return ""
	}
	switch code[0] {
	case 'P':
		return DocumentPassport
	case 'I', 'A', 'C':
		return DocumentIDCard
	case 'V':
		return DocumentVisa
	}
	return ""
}

// Webhook payload modes.
const (
	WebhookThin = "thin" // ids, status and an href (the default)
	WebhookFull = "full" // also the policy-allowed fields
)

// Bounds of the acceptance settings.
const (
	// DefaultMaxAttempts is how many attempts a session gives the person
	// when the policy sets none: the first, and two retakes.
	DefaultMaxAttempts = 3
	// MaxAttempts bounds the attempts a policy may allow.
	MaxAttempts = 5

	MaxMinimumAge    = 99
	MaxIssuingStates = 100
)

// stateCode is an MRZ issuing-state code: three letters, or fewer padded
// with < in the MRZ (D for Germany), written here without the filler.
var stateCode = regexp.MustCompile(`^[A-Z]{1,3}$`)

// SettingError is a policy setting IDV refuses, and why.
type SettingError struct {
	Setting string
	Err     error
}

func (e *SettingError) Error() string { return e.Setting + ": " + e.Err.Error() }
func (e *SettingError) Unwrap() error { return e.Err }

func (p Policy) validateAcceptance() error {
	if err := validateNames("document type", p.DocumentTypes, DocumentTypes); err != nil {
		return &SettingError{Setting: SettingDocumentTypes, Err: err}
	}
	if len(p.IssuingStates) > MaxIssuingStates {
		return &SettingError{Setting: SettingIssuingStates,
			Err: fmt.Errorf("%d issuing states named, at most %d", len(p.IssuingStates), MaxIssuingStates)}
	}
	seen := map[string]bool{}
	for _, s := range p.IssuingStates {
		if !stateCode.MatchString(s) {
			return &SettingError{Setting: SettingIssuingStates,
				Err: fmt.Errorf("%q is not an MRZ state code (1 to 3 capital letters, e.g. NLD, D)", s)}
		}
		if seen[s] {
			return &SettingError{Setting: SettingIssuingStates, Err: fmt.Errorf("state %q named twice", s)}
		}
		seen[s] = true
	}
	if p.MinimumAge < 0 || p.MinimumAge > MaxMinimumAge {
		return &SettingError{Setting: SettingMinimumAge,
			Err: fmt.Errorf("minimum_age %d is outside 0..%d (0: none)", p.MinimumAge, MaxMinimumAge)}
	}
	if len(p.BSNLegalBasis) > MaxLegalBasis || strings.ContainsFunc(p.BSNLegalBasis, func(r rune) bool { return r < ' ' }) {
		return &SettingError{Setting: SettingBSNLegalBasis,
			Err: fmt.Errorf("bsn_legal_basis: at most %d characters on one line", MaxLegalBasis)}
	}
	if slices.Contains(p.Fields, FieldBSN) && strings.TrimSpace(p.BSNLegalBasis) == "" {
		return &SettingError{Setting: SettingFields,
			Err: errors.New("the field bsn needs bsn_legal_basis: a BSN may be processed only where a law allows it (UAVG art. 46)")}
	}
	if p.MaxAttempts < 0 || p.MaxAttempts > MaxAttempts {
		return &SettingError{Setting: SettingMaxAttempts,
			Err: fmt.Errorf("max_attempts %d is outside 1..%d (0: the default, %d)", p.MaxAttempts, MaxAttempts, DefaultMaxAttempts)}
	}
	switch p.Minors {
	case "", MinorsReview, MinorsDecline:
	default:
		return &SettingError{Setting: SettingMinors,
			Err: fmt.Errorf("minors %q: want %s or %s", p.Minors, MinorsReview, MinorsDecline)}
	}
	switch p.WebhookPayload {
	case "", WebhookThin, WebhookFull:
	default:
		return &SettingError{Setting: SettingWebhookPayload,
			Err: fmt.Errorf("webhook_payload %q: want %s or %s", p.WebhookPayload, WebhookThin, WebhookFull)}
	}
	return nil
}

// MinorsRule is what becomes of holders under MinorAge: review unless
// decline was chosen.
func (p Policy) MinorsRule() string {
	if p.Minors == MinorsDecline {
		return MinorsDecline
	}
	return MinorsReview
}

// Attempts is how many attempts a session of the policy gives the person:
// MaxAttempts as set, DefaultMaxAttempts when unset (0).
func (p Policy) Attempts() int {
	if p.MaxAttempts == 0 {
		return DefaultMaxAttempts
	}
	return p.MaxAttempts
}

// Payload is the webhook payload mode, thin unless full was chosen.
func (p Policy) Payload() string {
	if p.WebhookPayload == WebhookFull {
		return WebhookFull
	}
	return WebhookThin
}

// PersonalFields are the policy's fields that are not derived claims.
func (p Policy) PersonalFields() []string {
	out := []string{}
	for _, f := range p.Fields {
		if !slices.Contains(DerivedClaims, f) {
			out = append(out, f)
		}
	}
	return out
}

// Claims are the policy's derived claims.
func (p Policy) Claims() []string {
	out := []string{}
	for _, f := range p.Fields {
		if slices.Contains(DerivedClaims, f) {
			out = append(out, f)
		}
	}
	return out
}

// PolicyChange names the settings to change; nil leaves one as it is.
// Fields holds personal-data fields only and DerivedClaims the claims; the
// policy keeps both in Policy.Fields. RetentionDays is not part of the
// policy document: it is applied through the retention path, which also
// shortens existing sessions.
type PolicyChange struct {
	Fields         *[]string `json:"fields,omitempty"`
	DerivedClaims  *[]string `json:"derived_claims,omitempty"`
	Checks         *[]string `json:"checks,omitempty"`
	SelfieFrames   *int      `json:"selfie_frames,omitempty"`
	AllowSpecimen  *bool     `json:"allow_specimen,omitempty"`
	RetentionDays  *int      `json:"retention_days,omitempty"`
	DocumentTypes  *[]string `json:"document_types,omitempty"`
	IssuingStates  *[]string `json:"issuing_states,omitempty"`
	MinimumAge     *int      `json:"minimum_age,omitempty"`
	WebhookPayload *string   `json:"webhook_payload,omitempty"`
	RedactedCopy   *bool     `json:"redacted_copy,omitempty"`
	Minors         *string   `json:"minors,omitempty"`
	BSNLegalBasis  *string   `json:"bsn_legal_basis,omitempty"`
	MaxAttempts    *int      `json:"max_attempts,omitempty"`
	LightChallenge *bool     `json:"light_challenge,omitempty"`
	// The capture page's settings (pagesetting.go); "" clears one.
	Purpose           *string `json:"purpose,omitempty"`
	ControllerContact *string `json:"controller_contact,omitempty"`
	PrivacyNoticeURL  *string `json:"privacy_notice_url,omitempty"`
	// Lists given empty clear them.
	ReturnURLs   *[]string `json:"return_urls,omitempty"`
	EmbedOrigins *[]string `json:"embed_origins,omitempty"`
	DisplayName  *string   `json:"display_name,omitempty"`
	BrandColour  *string   `json:"brand_colour,omitempty"`
}

// Empty reports whether the change names no setting.
func (c PolicyChange) Empty() bool { return c == PolicyChange{} }

// Apply returns p with the change made, validated; retention is not
// p's and is left to the caller.
func (c PolicyChange) Apply(p Policy) (Policy, error) {
	if c.Fields != nil {
		for _, f := range *c.Fields {
			if slices.Contains(DerivedClaims, f) {
				return p, &SettingError{Setting: SettingFields,
					Err: fmt.Errorf("%q is a derived claim: name it in derived_claims", f)}
			}
		}
	}
	if c.DerivedClaims != nil {
		if err := validateNames("derived claim", *c.DerivedClaims, DerivedClaims); err != nil {
			return p, &SettingError{Setting: SettingDerivedClaims, Err: err}
		}
	}
	if c.Fields != nil || c.DerivedClaims != nil {
		fields, claims := p.PersonalFields(), p.Claims()
		if c.Fields != nil {
			fields = *c.Fields
		}
		if c.DerivedClaims != nil {
			claims = *c.DerivedClaims
		}
		p.Fields = append(slices.Clone(fields), claims...)
	}
	putList(&p.Checks, c.Checks)
	put(&p.SelfieFrames, c.SelfieFrames)
	put(&p.AllowSpecimen, c.AllowSpecimen)
	putList(&p.DocumentTypes, c.DocumentTypes)
	putList(&p.IssuingStates, c.IssuingStates)
	put(&p.MinimumAge, c.MinimumAge)
	put(&p.WebhookPayload, c.WebhookPayload)
	put(&p.RedactedCopy, c.RedactedCopy)
	put(&p.Minors, c.Minors)
	put(&p.BSNLegalBasis, c.BSNLegalBasis)
	put(&p.MaxAttempts, c.MaxAttempts)
	put(&p.LightChallenge, c.LightChallenge)
	put(&p.Purpose, c.Purpose)
	put(&p.ControllerContact, c.ControllerContact)
	put(&p.PrivacyNoticeURL, c.PrivacyNoticeURL)
	putList(&p.ReturnURLs, c.ReturnURLs)
	putList(&p.EmbedOrigins, c.EmbedOrigins)
	put(&p.DisplayName, c.DisplayName)
	put(&p.BrandColour, c.BrandColour)
	if c.RetentionDays != nil {
		if err := ValidateRetentionDays(*c.RetentionDays); err != nil {
			return p, &SettingError{Setting: SettingRetentionDays, Err: err}
		}
	}
	return p, p.Validate()
}

// put sets *dst to *v when the change names v (v is not nil).
func put[T any](dst, v *T) {
	if v != nil {
		*dst = *v
	}
}

// putList is put for a list, which the policy gets a copy of.
func putList(dst, v *[]string) {
	if v != nil {
		*dst = slices.Clone(*v)
	}
}

// ErrNoChange is returned for a change that names no setting.
var ErrNoChange = errors.New("no setting named")
