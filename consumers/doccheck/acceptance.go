package doccheck

import (
	"slices"
	"time"

	"github.com/idv-oss/idv/consumers/doccheck/mrz"
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
)

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
	if p.MinimumAge > 0 {
		switch {
		case !doc.BirthDate.IsComplete():
			out = append(out, ReasonAgeNotVerifiable)
		case birthdayAfter(doc.BirthDate, p.MinimumAge, mrz.DateOf(now)):
			out = append(out, ReasonUnderMinimumAge)
		}
	}
	return out
}
