package schemas

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Fields are the personal-data fields a tenant policy may allow IDV to
// extract, store and return (docs/design.md invariant 4), followed by the derived
// claims, which are preferred because they reveal less.
var Fields = []string{
	"full_name", "sex", "birth_date", "birth_place", "nationality", "personal_number",
	"document_number", "document_type", "issue_date", "expiry_date", "issuing_country",
	"portrait", "selfie", "address", "email", "bsn",
	"age_over_16", "age_over_18", "document_valid",
}

// Checks are the checks a session can request.
var Checks = []string{CheckDocument, CheckFace, CheckLiveness}

// The checks.
const (
	CheckDocument = "document"
	CheckFace     = "face"
)

// Retention bounds in days: the seeds' promise is never more than 28.
const (
	MinRetentionDays = 1
	MaxRetentionDays = 28
)

// DefaultSelfieFrames is how many selfie frames a session takes unless the
// policy says otherwise; MaxSelfieFrames bounds what a policy may ask.
const (
	DefaultSelfieFrames = 5
	MaxSelfieFrames     = 20
)

// Policy is a tenant's instruction to IDV, the processor: what it may
// extract and keep, which checks run, and what it accepts.
//
// Settings added after the first release are omitempty with a zero value
// that keeps the earlier behaviour, so policies stored before them decode
// unchanged: no document type or issuing-state restriction, no minimum
// age, thin webhooks, no redacted copy.
type Policy struct {
	Fields        []string `json:"fields"`
	Checks        []string `json:"checks"`
	SelfieFrames  int      `json:"selfie_frames"`
	AllowSpecimen bool     `json:"allow_specimen"`
	// DocumentTypes accepted (DocumentTypes); empty accepts every type.
	DocumentTypes []string `json:"document_types,omitempty"`
	// IssuingStates accepted, as MRZ state codes (ISO 3166-1 alpha-3 and
	// ICAO's additions such as D); empty accepts every state.
	IssuingStates []string `json:"issuing_states,omitempty"`
	// MinimumAge a document holder must have reached; 0 for none.
	MinimumAge int `json:"minimum_age,omitempty"`
	// WebhookPayload is WebhookThin or WebhookFull; "" reads as thin.
	WebhookPayload string `json:"webhook_payload,omitempty"`
	// BSNLegalBasis names the law that allows the tenant to process the
	// Dutch citizen service number (UAVG art. 46: only where a law allows
	// it), e.g. "Wwft art. 33"; the field bsn may be allowed only with it.
	BSNLegalBasis string `json:"bsn_legal_basis,omitempty"`
	// Minors is what becomes of a document holder under 16 (the Dutch age
	// of consent to data processing, UAVG art. 5): MinorsReview (the
	// default, "") sends the session to review with
	// minor_parental_consent_required; MinorsDecline fails the check.
	Minors string `json:"minors,omitempty"`
	// RedactedCopy asks for a redacted copy of each side of the document
	// the app photographed (the portrait, the MRZ's personal-number cells
	// and the personal-number zones of the visual inspection zone, the
	// BSN among them, blacked out; purpose, recipient and date
	// watermarked) to be kept, sealed, for the retention period
	// (document/redact).
	RedactedCopy bool `json:"redacted_copy,omitempty"`
	// MaxAttempts is how many attempts a session gives the person: a check
	// ending with a reason the person can fix (a blurry photo, a face too
	// small) returns the session to them for a retake until the last
	// attempt. 1 allows no retake; 0 reads as DefaultMaxAttempts.
	MaxAttempts int `json:"max_attempts,omitempty"`
	// LightChallenge adds the light challenge to the liveness check of
	// the sessions created while it is on (schemas/light.go): the capture
	// page tints the screen with colours drawn per attempt and the
	// reflection on the face must follow them. It changes nothing for a
	// session without the liveness check.
	LightChallenge bool `json:"light_challenge,omitempty"`
	// Purpose is what the tenant uses the verification for, in its own
	// words, shown on the capture page's consent screen; "" for none
	// (pagesetting.go).
	Purpose string `json:"purpose,omitempty"`
	// ControllerContact is how the person reaches the tenant about their
	// data: an e-mail address or an https URL; "" for none.
	ControllerContact string `json:"controller_contact,omitempty"`
	// PrivacyNoticeURL is the tenant's privacy notice (https only),
	// linked from the consent screen; "" for none.
	PrivacyNoticeURL string `json:"privacy_notice_url,omitempty"`
	// ReturnURLs are the tenant's pages the capture page may send the
	// person back to when it ends (https, matched exactly); none: no way
	// back is offered.
	ReturnURLs []string `json:"return_urls,omitempty"`
	// EmbedOrigins are the https origins that may show the capture page in
	// a frame (/capture/t/{tenant_id}/); none: no framing, the default.
	EmbedOrigins []string `json:"embed_origins,omitempty"`
	// DisplayName is the name the capture page's header shows (the
	// tenant's name when ""); the consent names the tenant as controller.
	DisplayName string `json:"display_name,omitempty"`
	// BrandColour (#rrggbb) colours the page's buttons and links; it must
	// keep WCAG AA contrast with the page (ValidateBrandColour). "" keeps
	// the page's own.
	BrandColour string `json:"brand_colour,omitempty"`
}

// DefaultPolicy is the policy of a new tenant before it names its fields
// and checks: derived claims only, the document check, five selfie frames,
// no specimens. Face match is opted into (`--checks document,face`): it needs
// the face models installed where the workers run.
func DefaultPolicy() Policy {
	return Policy{
		Fields:       []string{"age_over_18", "document_valid"},
		Checks:       []string{CheckDocument},
		SelfieFrames: DefaultSelfieFrames,
	}
}

// ValidateFields refuses names that are not policy fields, listing the valid
// ones so the caller can correct the request.
func ValidateFields(names []string) error {
	return validateNames("field", names, Fields)
}

// ValidateChecks refuses names that are not checks.
func ValidateChecks(names []string) error {
	if len(names) == 0 {
		return fmt.Errorf("at least one check is required (valid: %s)", strings.Join(Checks, ", "))
	}
	return validateNames("check", names, Checks)
}

// ExpiresAt is when a session created at created with a retention of days
// must be gone: created + days × 24 h, truncated down to the hour (UTC), as
// the database CHECK requires.
func ExpiresAt(created time.Time, days int) time.Time {
	return created.UTC().Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Hour)
}

// ValidateRetentionDays refuses a retention outside 1..28 days.
func ValidateRetentionDays(days int) error {
	if days < MinRetentionDays || days > MaxRetentionDays {
		return fmt.Errorf("retention of %d days is outside %d..%d days: IDV keeps personal data at most %d days",
			days, MinRetentionDays, MaxRetentionDays, MaxRetentionDays)
	}
	return nil
}

// Validate checks the whole policy. Its error is a *SettingError naming
// the setting at fault.
func (p Policy) Validate() error {
	if err := ValidateFields(p.Fields); err != nil {
		return &SettingError{Setting: SettingFields, Err: err}
	}
	if err := ValidateChecks(p.Checks); err != nil {
		return &SettingError{Setting: SettingChecks, Err: err}
	}
	if err := ValidateSelfieFrames(p.SelfieFrames, p.Checks); err != nil {
		return &SettingError{Setting: SettingSelfieFrames, Err: err}
	}
	if err := p.validateAcceptance(); err != nil {
		return err
	}
	return p.validatePage()
}

// ValidateSelfieFrames refuses a frame count outside 1..MaxSelfieFrames, or
// below MinChallengeFrames when the checks include liveness.
func ValidateSelfieFrames(frames int, checks []string) error {
	low := 1
	if slices.Contains(checks, CheckLiveness) {
		low = MinChallengeFrames
	}
	if frames < low || frames > MaxSelfieFrames {
		return fmt.Errorf("selfie_frames %d is outside %d..%d", frames, low, MaxSelfieFrames)
	}
	return nil
}

func validateNames(what string, names, valid []string) error {
	var unknown []string
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return fmt.Errorf("%s %q named twice", what, n)
		}
		seen[n] = true
		if !slices.Contains(valid, n) {
			unknown = append(unknown, fmt.Sprintf("%q", n))
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("unknown %s %s (valid: %s)", what, strings.Join(unknown, ", "), strings.Join(valid, ", "))
	}
	return nil
}
