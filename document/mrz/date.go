package mrz

import (
	"fmt"
	"time"
)

// Date is a civil date as an MRZ carries it: no time of day, no time zone.
// A zero part means unknown: ICAO 9303 lets an issuer fill an unknown part
// of a date of birth with '<'. An expiry date is always complete.
type Date struct {
	Year  int        // four digits, 0 if unknown
	Month time.Month // 0 if unknown
	Day   int        // 0 if unknown
}

// DateOf is the civil date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// IsZero reports whether nothing of the date is known.
func (d Date) IsZero() bool { return d == Date{} }

// IsComplete reports whether year, month and day are all known.
func (d Date) IsComplete() bool { return d.Year != 0 && d.Month != 0 && d.Day != 0 }

// String formats the date as YYYY-MM-DD, with zeros for unknown parts.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Compare returns -1, 0 or +1 as d is before, equal to or after o. Unknown
// parts compare as zero, so they sort first; use it on complete dates, or
// see After for a comparison that respects unknown parts.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return sign(d.Year - o.Year)
	case d.Month != o.Month:
		return sign(int(d.Month) - int(o.Month))
	default:
		return sign(d.Day - o.Day)
	}
}

// After reports whether d certainly lies after the complete date o, judging
// only the parts of d that are known: a date with an unknown year is never
// certainly after anything.
func (d Date) After(o Date) bool {
	switch {
	case d.Year == 0:
		return false
	case d.Year != o.Year || d.Month == 0:
		return d.Year > o.Year
	case d.Month != o.Month || d.Day == 0:
		return d.Month > o.Month
	default:
		return d.Day > o.Day
	}
}

// Before reports whether d certainly lies before the complete date o, by the
// same rule as After.
func (d Date) Before(o Date) bool {
	switch {
	case d.Year == 0:
		return false
	case d.Year != o.Year || d.Month == 0:
		return d.Year < o.Year
	case d.Month != o.Month || d.Day == 0:
		return d.Month < o.Month
	default:
		return d.Day < o.Day
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// dateKind selects the century rule and whether unknown parts are allowed.
type dateKind int

const (
	// birthDate: the latest century that does not put the date in the
	// future; unknown parts allowed.
	birthDate dateKind = iota
	// expiryDate: always 20YY; every part required.
	expiryDate
)

// parseDate reads a YYMMDD field. today decides the century of a date of
// birth. It reports false for anything that is not a calendar date.
func parseDate(s string, kind dateKind, today Date) (Date, bool) {
	if len(s) != 6 {
		return Date{}, false
	}
	yy, yok := twoDigits(s[0:2], kind)
	mm, mok := twoDigits(s[2:4], kind)
	dd, dok := twoDigits(s[4:6], kind)
	if !yok || !mok || !dok {
		return Date{}, false
	}
	if mm > 12 || (mm == 0 && s[2] != filler) || (dd == 0 && s[4] != filler) {
		return Date{}, false
	}
	d := Date{Month: time.Month(mm), Day: dd}
	if s[0] != filler {
		d.Year = 2000 + yy
		if kind == birthDate && d.After(today) {
			d.Year -= 100
		}
	}
	if d.Day != 0 && d.Day > daysIn(d.Year, d.Month) {
		return Date{}, false
	}
	return d, true
}

// twoDigits reads two digits, or "<<" (returned as 0) where kind allows an
// unknown part.
func twoDigits(s string, kind dateKind) (int, bool) {
	if s == "<<" {
		return 0, kind == birthDate
	}
	if s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

// daysIn is the number of days of month m in year y; with the year or month
// unknown it is the most that month can have.
func daysIn(y int, m time.Month) int {
	switch m {
	case 0:
		return 31
	case time.February:
		if y == 0 || y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
