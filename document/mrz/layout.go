package mrz

// filler is the MRZ filler character.
const filler = '<'

// span is where a field sits: 0-based line, 0-based start, exclusive end.
type span struct{ line, start, end int }

// wholeMRZ stands for errors that concern no single line.
var wholeMRZ = span{line: -1}

// lineOf stands for errors that concern a whole line.
func lineOf(i int) span { return span{line: i, start: -1} }

// position converts to the 1-based, inclusive numbering of ICAO 9303.
func (s span) position() (line, start, end int) {
	switch {
	case s.line < 0:
		return 0, 0, 0
	case s.start < 0:
		return s.line + 1, 0, 0
	}
	return s.line + 1, s.start + 1, s.end
}

// in returns the text of s in lines.
func (s span) in(lines []string) string { return lines[s.line][s.start:s.end] }

// exists reports whether a layout has the field at all.
func (s span) exists() bool { return s.end > 0 }

// layout describes one MRZ format: where each field sits and which rules
// apply. The td*.go and mrv.go files each declare one; parse applies it.
type layout struct {
	format Format
	width  int // characters per line

	// code checks the two-character document code.
	code func(string) bool

	documentCode, issuingState, name span
	number, numberCheck              span
	// overflow: a number longer than nine characters continues in
	// optional1 when numberCheck holds a filler (TD1, TD2).
	overflow bool

	nationality, birth, birthCheck, sex, expiry, expiryCheck span

	optional1, optional2    span // optional2 only in TD1
	personal, personalCheck span // TD3 only
	composite               span // not in visas
	compositeOver           []span
	dutchIdentityCardBSN    bool // TD1: a Dutch BSN may sit in optional1
	dutchPassportBSN        bool // TD3: a Dutch BSN may sit in personal
}

// newLayout is a layout of width characters a line with what every format
// shares: the document code in positions 1–2 of line 1 and the issuing state
// in 3–5; fill declares the rest.
func newLayout(f Format, width int, code func(string) bool, fill func(*layout)) *layout {
	l := &layout{
		format:       f,
		width:        width,
		code:         code,
		documentCode: span{0, 0, 2},
		issuingState: span{0, 2, 5},
	}
	fill(l)
	return l
}

// numberAt places the document number (nine characters) and its check
// digit at start on line, 0-based.
func (l *layout) numberAt(line, start int) {
	l.number = span{line, start, start + 9}
	l.numberCheck = span{line, start + 9, start + 10}
}

// datesAt places the run of fifteen characters every format has, at start
// on line, 0-based: birth (6), its check digit, sex, expiry (6), its check
// digit.
func (l *layout) datesAt(line, start int) {
	l.birth = span{line, start, start + 6}
	l.birthCheck = span{line, start + 6, start + 7}
	l.sex = span{line, start + 7, start + 8}
	l.expiry = span{line, start + 8, start + 14}
	l.expiryCheck = span{line, start + 14, start + 15}
}

// twoLine is a two-line layout of width characters a line: TD2, TD3 and
// the visas share line 1 (code 1–2, state 3–5, name 6 to the end) and
// line 2 up to the expiry check digit (document number 1–9, check 10,
// nationality 11–13, birth 14–19, check 20, sex 21, expiry 22–27, check
// 28); tail declares what each puts after position 28.
func twoLine(f Format, width int, code func(string) bool, tail func(*layout)) *layout {
	return newLayout(f, width, code, func(l *layout) {
		l.name = span{0, 5, width}
		l.numberAt(1, 0)
		l.nationality = span{1, 10, 13}
		l.datesAt(1, 13)
		tail(l)
	})
}

// idCode is the document code rule of TD1 and TD2: A, C or I, then a letter
// or filler other than V, which ICAO reserves for visas.
func idCode(c string) bool {
	return (c[0] == 'A' || c[0] == 'C' || c[0] == 'I') && isLetterOrFiller(c[1]) && c[1] != 'V'
}

func isLetterOrFiller(c byte) bool { return c == filler || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isMRZChar(c byte) bool { return isDigit(c) || isLetterOrFiller(c) }
