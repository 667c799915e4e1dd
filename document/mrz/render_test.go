package mrz

import (
	"fmt"
	"strings"
)

// render writes a Document back as MRZ text with freshly computed check
// digits: the inverse of Parse, used to check Parse (fuzz) and to build
// test MRZs. It is test code on purpose: IDV reads MRZs, it never issues
// them.
func render(d *Document) string {
	l := layoutOf(d.Format)
	lines := make([][]byte, 3)
	for i := range lines {
		lines[i] = []byte(strings.Repeat("<", l.width))
	}
	put := func(s span, text string) {
		if len(text) > s.end-s.start {
			panic(fmt.Sprintf("render: %d characters do not fit in %d", len(text), s.end-s.start))
		}
		copy(lines[s.line][s.start:s.end], text)
	}
	put(l.documentCode, d.DocumentCode)
	put(l.issuingState, d.IssuingState)
	put(l.nationality, d.Nationality)
	put(l.name, renderName(d.Surname, d.GivenNames))
	sex := d.Sex
	if sex == "X" {
		sex = "<"
	}
	put(l.sex, sex)
	birth, expiry := renderDate(d.BirthDate), renderDate(d.ExpiryDate)
	put(l.birth, birth)
	put(l.birthCheck, checkOf(birth))
	put(l.expiry, expiry)
	put(l.expiryCheck, checkOf(expiry))

	number := d.DocumentNumber
	optional1 := d.Optional1
	switch {
	case len(number) > 9:
		put(l.number, number[:9])
		put(l.numberCheck, "<")
		optional1 = number[9:] + checkOf(number) + "<" + optional1
	default:
		head := pad(number, 9)
		put(l.number, head)
		put(l.numberCheck, checkOf(head))
	}
	if d.bsn != "" && d.Format == TD1 {
		optional1 = d.bsn + pad(d.Optional1, 5) + checkOf(d.bsn)
	}
	if l.optional1.exists() {
		put(l.optional1, optional1)
	}
	if l.optional2.exists() {
		put(l.optional2, d.Optional2)
	}
	if l.personal.exists() {
		personal := d.PersonalNumber
		if d.bsn != "" {
			personal = d.bsn
		}
		put(l.personal, personal)
		if personal != "" {
			put(l.personalCheck, checkOf(pad(personal, 14)))
		}
	}
	if l.composite.exists() {
		var over []string
		for _, s := range l.compositeOver {
			over = append(over, string(lines[s.line][s.start:s.end]))
		}
		put(l.composite, checkOf(over...))
	}
	out := make([]string, 0, 3)
	for i := range linesOf(d.Format) {
		out = append(out, string(lines[i]))
	}
	return strings.Join(out, "\n")
}

func layoutOf(f Format) *layout {
	switch f {
	case TD1:
		return td1
	case TD2:
		return td2
	case TD3:
		return td3
	case MRVA:
		return mrva
	case MRVB:
		return mrvb
	}
	panic("render: unknown format " + string(f))
}

func linesOf(f Format) int {
	if f == TD1 {
		return 3
	}
	return 2
}

func renderName(surname string, given []string) string {
	s := strings.ReplaceAll(surname, " ", "<")
	if len(given) > 0 {
		s += "<<" + strings.Join(given, "<")
	}
	return s
}

func renderDate(d Date) string {
	part := func(n int) string {
		if n == 0 {
			return "<<"
		}
		return fmt.Sprintf("%02d", n%100)
	}
	return part(d.Year) + part(int(d.Month)) + part(d.Day)
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat("<", n-len(s))
}

func checkOf(parts ...string) string {
	c, ok := checkDigitOver(parts...)
	if !ok {
		panic("checkOf: non-MRZ character")
	}
	return string(c)
}

// recheck recomputes every check digit of an MRZ text after a test changed
// a field, so that the change alone is under test. It follows the layout of
// the text's format and handles an overflowing document number.
func recheck(f Format, text string) string {
	l := layoutOf(f)
	rows := strings.Split(text, "\n")
	lines := make([][]byte, len(rows))
	for i, r := range rows {
		lines[i] = []byte(r)
	}
	get := func(s span) string { return string(lines[s.line][s.start:s.end]) }
	set := func(s span, c string) { copy(lines[s.line][s.start:s.end], c) }
	if l.overflow && get(l.numberCheck) == "<" {
		opt := get(l.optional1)
		if end := strings.IndexByte(opt, '<'); end >= 2 {
			number := get(l.number) + opt[:end-1]
			set(span{l.optional1.line, l.optional1.start + end - 1, l.optional1.start + end}, checkOf(number))
		}
	} else {
		set(l.numberCheck, checkOf(get(l.number)))
	}
	set(l.birthCheck, checkOf(get(l.birth)))
	set(l.expiryCheck, checkOf(get(l.expiry)))
	if l.personal.exists() {
		if p := get(l.personal); strings.Trim(p, "<") != "" {
			set(l.personalCheck, checkOf(p))
		}
	}
	if l.composite.exists() {
		var over []string
		for _, s := range l.compositeOver {
			over = append(over, get(s))
		}
		set(l.composite, checkOf(over...))
	}
	out := make([]string, len(lines))
	for i := range lines {
		out[i] = string(lines[i])
	}
	return strings.Join(out, "\n")
}
