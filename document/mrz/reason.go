package mrz

// Reason is a stable, machine-readable code saying why an MRZ was refused or
// why a parsed document should not be accepted. Reasons travel in events and
// webhooks, so they name the problem and never carry document contents.
type Reason string

// Reasons Parse reports through *Error: the MRZ itself is unreadable or
// inconsistent.
const (
	// ReasonFormat: wrong line count or length, a character outside
	// A–Z 0–9 <, or a field that breaks its syntax (document code, sex, name).
	ReasonFormat Reason = "mrz_format"
	// ReasonCheckDigit: a check digit (field or composite) does not match.
	ReasonCheckDigit Reason = "mrz_check_digit"
	// ReasonState: an issuing state or nationality code that is neither
	// ISO 3166-1 alpha-3 nor one of ICAO's additional codes.
	ReasonState Reason = "mrz_state"
	// ReasonDate: a date that is not a calendar date (month 13, 30 February).
	ReasonDate Reason = "mrz_date"
)

// Reasons Validate reports: the MRZ is well formed, but the document should
// not be accepted as it stands.
const (
	// ReasonExpired: the expiry date lies before the day of the check.
	ReasonExpired Reason = "document_expired"
	// ReasonSpecimen: a specimen (state UTO, or a known national specimen
	// number) where the rules do not allow specimens.
	ReasonSpecimen Reason = "specimen_document"
	// ReasonBirthInFuture: the date of birth lies after the day of the check.
	ReasonBirthInFuture Reason = "birth_date_in_future"
	// ReasonExpiryBeforeBirth: the document expires before its holder was
	// born.
	ReasonExpiryBeforeBirth Reason = "expiry_before_birth"
)
