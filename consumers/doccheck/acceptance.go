package doccheck

import (
	"regexp"
	"slices"
	"time"

	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/schemas"
)

// Reason codes of the tenant's acceptance settings (schemas.Policy): the
// document is genuine as far as the MRZ shows, but not one the tenant
// instructed IDV to accept.
const (
	ReasonDocumentTypeNotAccepted = "document_type_not_accepted"
	ReasonIssuingStateNotAccepted = "issuing_state_not_accepted"
	ReasonUnderMinimumAge         = "under_minimum_age"
	// ReasonAgeNotVerifiable: the policy sets a minimum age and the MRZ's
	// birth date is incomplete (unknown day or month), so it cannot be shown.
	ReasonAgeNotVerifiable = "age_not_verifiable"
	// ReasonMinorConsent: the holder is under 16 (schemas.MinorAge), so a
	// parent must consent to the processing (UAVG art. 5); the session goes
	// to review unless the policy's minors setting is decline.
	ReasonMinorConsent = "minor_parental_consent_required"
	// ReasonMinorNotAccepted: the holder is under 16 and the policy
	// declines minors.
	ReasonMinorNotAccepted = "minor_not_accepted"
	// ReasonDocumentNumberFormat: a Dutch document's number is not two
	// letters, six letters or digits and a digit, without the letter O.
	ReasonDocumentNumberFormat = "document_number_format"
)

// dutchDocumentNumber is the form of every Dutch passport and identity card
// number since 2014 (FACTS): the letter O never appears, so it cannot be
// mistaken for a zero.
var dutchDocumentNumber = regexp.MustCompile(`^[A-NP-Z]{2}[A-NP-Z0-9]{6}[0-9]$`)

// acceptanceReasons judges a parsed document against the tenant's document
// types, issuing states and minimum age, on the day of now (UTC).
func acceptanceReasons(doc *mrz.Document, p schemas.Policy, now time.Time) []string {
	var out []string
	if len(p.DocumentTypes) > 0 && !slices.Contains(p.DocumentTypes, schemas.DocumentTypeOf(doc.DocumentCode)) {
		out = append(out, ReasonDocumentTypeNotAccepted)
	}
	if len(p.IssuingStates) > 0 && !slices.Contains(p.IssuingStates, doc.IssuingState) {
		out = append(out, ReasonIssuingStateNotAccepted)
	}
	underMinimum := false
	if p.MinimumAge > 0 {
		switch {
		case !doc.BirthDate.IsComplete():
			out = append(out, ReasonAgeNotVerifiable)
		case birthdayAfter(doc.BirthDate, p.MinimumAge, mrz.DateOf(now)):
			out = append(out, ReasonUnderMinimumAge)
			underMinimum = true
		}
	}
	if !underMinimum && doc.BirthDate.IsComplete() && birthdayAfter(doc.BirthDate, schemas.MinorAge, mrz.DateOf(now)) {
		if p.MinorsRule() == schemas.MinorsDecline {
			out = append(out, ReasonMinorNotAccepted)
		} else {
			out = append(out, ReasonMinorConsent)
		}
	}
	if doc.IssuingState == "NLD" && !dutchDocumentNumber.MatchString(doc.DocumentNumber) {
		out = append(out, ReasonDocumentNumberFormat)
	}
	return out
}
