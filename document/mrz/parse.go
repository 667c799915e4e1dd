// Package mrz parses and validates the machine-readable zones of ICAO 9303
// travel documents: identity cards (TD1), official travel documents (TD2),
// passports (TD3) and visas (MRV-A, MRV-B).
//
// Parse checks what the MRZ itself can prove: layout, character set, every
// check digit including the composite, calendar dates and state codes.
// Validate judges the parsed document against the day of the check and the
// tenant's rules: expiry, specimens, impossible dates of birth.
//
// An MRZ is personal data. The package logs nothing, its errors name fields
// and positions but never quote the MRZ, and a Document formats itself
// without its contents. A Dutch BSN is kept behind its own accessor,
// Document.BSN, so that callers extract it only on a legal basis.
package mrz

import (
	"strings"
	"time"
)

// Parse reads an MRZ, lines separated by "\n" ("\r\n" and blanks around
// lines and the text are tolerated), deciding the century of the date of
// birth by today's date. The error is an *Error.
func Parse(text string) (*Document, error) {
	return ParseAt(text, time.Now())
}

// ParseAt is Parse with the day of the check given: a date of birth is put
// in the latest century that does not place it after now.
func ParseAt(text string, now time.Time) (*Document, error) {
	if len(text) > maxText {
		return nil, errorAt(ReasonFormat, "", wholeMRZ, "MRZ text longer than %d bytes", maxText)
	}
	lines := splitLines(text)
	l, err := detect(lines)
	if err != nil {
		return nil, err
	}
	d, perr := l.parse(lines, DateOf(now))
	if perr != nil {
		return nil, perr
	}
	return d, nil
}

// maxText bounds the input: the longest MRZ is 90 characters, and blanks
// around it should not run to more than a few hundred. Anything longer is
// not an MRZ and is refused before it is split.
const maxText = 1024

// splitLines splits text into lines, trimming blanks and '\r' around each
// and dropping empty lines before the first and after the last.
func splitLines(text string) []string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// detect picks the layout from the line count, the line length and, for
// visas, the first character.
func detect(lines []string) (*layout, *Error) {
	var l *layout
	switch len(lines) {
	case 3:
		l = td1
	case 2:
		switch len(lines[0]) {
		case 36:
			l = td2
			if lines[0][0] == 'V' {
				l = mrvb
			}
		case 44:
			l = td3
			if lines[0][0] == 'V' {
				l = mrva
			}
		default:
			return nil, errorAt(ReasonFormat, "", lineOf(0), "line has %d characters, want 36 or 44", len(lines[0]))
		}
	default:
		return nil, errorAt(ReasonFormat, "", wholeMRZ, "MRZ has %d lines, want 2 or 3", len(lines))
	}
	for i, line := range lines {
		if len(line) != l.width {
			return nil, errorAt(ReasonFormat, "", lineOf(i), "line has %d characters, want %d", len(line), l.width)
		}
	}
	return l, nil
}

// parse applies the layout. Problems are reported in a fixed order, first
// one wins: character set and field syntax, then check digits, then dates,
// then state codes; so a misread character is reported as the check digit
// that caught it.
func (l *layout) parse(lines []string, today Date) (*Document, *Error) {
	for i, line := range lines {
		for j := 0; j < len(line); j++ {
			if !isMRZChar(line[j]) {
				return nil, errorAt(ReasonFormat, "", span{i, j, j + 1}, "character outside A-Z, 0-9 and the filler")
			}
		}
	}
	at := func(s span) string { return s.in(lines) }
	d := &Document{Format: l.format}

	// Field syntax.
	code := at(l.documentCode)
	if !l.code(code) {
		return nil, errorAt(ReasonFormat, FieldDocumentCode, l.documentCode, "document code not allowed in format %s", l.format)
	}
	d.DocumentCode = strings.TrimRight(code, "<")
	switch sex := at(l.sex); sex {
	case "M", "F":
		d.Sex = sex
	case "<":
		d.Sex = "X"
	default:
		return nil, errorAt(ReasonFormat, FieldSex, l.sex, "sex is neither M, F nor the filler")
	}
	var ok bool
	if d.Surname, d.GivenNames, ok = parseName(at(l.name)); !ok {
		return nil, errorAt(ReasonFormat, FieldName, l.name, "name holds a character other than a letter or the filler")
	}
	num, err := l.documentNumber(lines)
	if err != nil {
		return nil, err
	}
	d.DocumentNumber = num.value

	// Check digits.
	if err := verify(lines, FieldDocumentNumber, num.check, num.over); err != nil {
		return nil, err
	}
	if err := verify(lines, FieldBirthDate, l.birthCheck, at(l.birth)); err != nil {
		return nil, err
	}
	if err := verify(lines, FieldExpiryDate, l.expiryCheck, at(l.expiry)); err != nil {
		return nil, err
	}
	dutch := at(l.issuingState) == "NLD"
	if l.personal.exists() {
		personal := at(l.personal)
		if err := verifyPersonalNumber(lines, l.personalCheck, personal); err != nil {
			return nil, err
		}
		d.PersonalNumber = strings.TrimRight(personal, "<")
		if bsn, ok := passportBSN(personal); dutch && l.dutchPassportBSN && ok {
			d.bsn, d.PersonalNumber = bsn, ""
		}
	}
	optional1 := num.optional
	if dutch && l.dutchIdentityCardBSN && !num.overflowed {
		bsn, rest, err := identityCardBSN(optional1, l.optional1)
		if err != nil {
			return nil, err
		}
		d.bsn, optional1 = bsn, rest
	}
	if l.composite.exists() {
		over := make([]string, len(l.compositeOver))
		for i, s := range l.compositeOver {
			over[i] = at(s)
		}
		if err := verify(lines, FieldComposite, l.composite, over...); err != nil {
			return nil, err
		}
	}
	d.Optional1 = strings.TrimRight(optional1, "<")
	if l.optional2.exists() {
		d.Optional2 = strings.TrimRight(at(l.optional2), "<")
	}

	// Dates.
	if d.BirthDate, ok = parseDate(at(l.birth), birthDate, today); !ok {
		return nil, errorAt(ReasonDate, FieldBirthDate, l.birth, "birth date is not a calendar date")
	}
	if d.ExpiryDate, ok = parseDate(at(l.expiry), expiryDate, today); !ok {
		return nil, errorAt(ReasonDate, FieldExpiryDate, l.expiry, "expiry date is not a complete calendar date")
	}

	// State codes.
	if d.IssuingState = strings.TrimRight(at(l.issuingState), "<"); !KnownState(d.IssuingState) {
		return nil, errorAt(ReasonState, FieldIssuingState, l.issuingState, "unknown state code")
	}
	if d.Nationality = strings.TrimRight(at(l.nationality), "<"); !KnownState(d.Nationality) {
		return nil, errorAt(ReasonState, FieldNationality, l.nationality, "unknown state code")
	}
	return d, nil
}

// documentNumber is a document number as read, with what its check digit
// covers.
type documentNumber struct {
	value      string
	check      span   // where its check digit sits
	over       string // what the check digit covers
	optional   string // the optional data left after any overflow
	overflowed bool
}

// documentNumber reads the number. Where the layout allows it and the
// check-digit position holds a filler, the number is longer than nine
// characters: it continues at the start of the optional data up to the
// character before the first filler, which is its check digit, computed
// over the whole number without the filler (ICAO 9303 part 5, 4.2.2).
func (l *layout) documentNumber(lines []string) (documentNumber, *Error) {
	head := l.number.in(lines)
	opt := ""
	if l.optional1.exists() {
		opt = l.optional1.in(lines)
	}
	if !l.overflow || l.numberCheck.in(lines) != "<" {
		n := documentNumber{value: strings.TrimRight(head, "<"), check: l.numberCheck, over: head, optional: opt}
		if n.value == "" {
			return n, errorAt(ReasonFormat, FieldDocumentNumber, l.number, "document number is empty")
		}
		return n, nil
	}
	end := strings.IndexByte(opt, filler)
	switch {
	case end < 0:
		return documentNumber{}, errorAt(ReasonFormat, FieldDocumentNumber, l.optional1, "long document number runs to the end of the optional data without its check digit and filler")
	case end < 2:
		return documentNumber{}, errorAt(ReasonFormat, FieldDocumentNumber, l.optional1, "document number marked as longer than nine characters has no continuation")
	}
	value := head + opt[:end-1]
	return documentNumber{
		value:      value,
		check:      span{l.optional1.line, l.optional1.start + end - 1, l.optional1.start + end},
		over:       value,
		optional:   opt[end+1:],
		overflowed: true,
	}, nil
}

// verify compares the check digit at check with the one computed over the
// given text.
func verify(lines []string, field string, check span, over ...string) *Error {
	want, ok := checkDigitOver(over...)
	if !ok || check.in(lines)[0] != want {
		return errorAt(ReasonCheckDigit, field, check, "check digit does not match")
	}
	return nil
}

// verifyPersonalNumber checks the TD3 personal number, whose check digit
// may be a filler as well as 0 when the field is empty.
func verifyPersonalNumber(lines []string, check span, personal string) *Error {
	if strings.TrimRight(personal, "<") == "" && check.in(lines) == "<" {
		return nil
	}
	return verify(lines, FieldPersonalNumber, check, personal)
}
