package mrz

import (
	"fmt"
	"strings"
)

// Field names used in Error.Field. They name MRZ fields, never their
// contents.
const (
	FieldDocumentCode   = "document_code"
	FieldIssuingState   = "issuing_state"
	FieldName           = "name"
	FieldDocumentNumber = "document_number"
	FieldNationality    = "nationality"
	FieldBirthDate      = "birth_date"
	FieldSex            = "sex"
	FieldExpiryDate     = "expiry_date"
	FieldPersonalNumber = "personal_number"
	FieldOptional1      = "optional_data_1"
	FieldOptional2      = "optional_data_2"
	FieldComposite      = "composite"
	// FieldBSN is the Dutch citizen service number in a pre-2021 Dutch
	// identity card, which carries its own check digit.
	FieldBSN = "bsn"
)

// Error is the error Parse returns. It locates the problem by field name
// and position only: an MRZ is personal data, so neither Message nor
// Error() ever quotes it.
type Error struct {
	Reason Reason
	// Field is one of the Field… constants, or empty when the MRZ as a whole
	// is at fault (line count, line length).
	Field string
	// Line is the 1-based MRZ line, 0 when the problem is not on one line.
	Line int
	// Start and End are the 1-based first and last character positions on
	// Line, 0 when not applicable.
	Start, End int
	// Message says what is wrong in words, without MRZ characters.
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("mrz: ")
	b.WriteString(e.Message)
	var where []string
	if e.Field != "" {
		where = append(where, "field "+e.Field)
	}
	if e.Line > 0 {
		switch {
		case e.Start == 0:
			where = append(where, fmt.Sprintf("line %d", e.Line))
		case e.End == e.Start:
			where = append(where, fmt.Sprintf("line %d position %d", e.Line, e.Start))
		default:
			where = append(where, fmt.Sprintf("line %d positions %d-%d", e.Line, e.Start, e.End))
		}
	}
	if len(where) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(where, ", "))
		b.WriteString(")")
	}
	b.WriteString(" [")
	b.WriteString(string(e.Reason))
	b.WriteString("]")
	return b.String()
}

// errorAt builds an Error for a field at a span.
func errorAt(reason Reason, field string, s span, format string, args ...any) *Error {
	line, start, end := s.position()
	return &Error{Reason: reason, Field: field, Line: line, Start: start, End: end, Message: fmt.Sprintf(format, args...)}
}
