package mrz

import (
	"strings"
	"time"
)

// IsSpecimen reports whether the document is a specimen: issued by or for
// Utopia (UTO, ICAO's fictional state), or a Dutch document bearing a
// specimen number of the Dutch models: SPECI and the model year (SPECI2014,
// SPECI2021).
func (d *Document) IsSpecimen() bool {
	if d.IssuingState == specimenState || d.Nationality == specimenState {
		return true
	}
	return d.IssuingState == "NLD" && isDutchSpecimenNumber(d.DocumentNumber)
}

// isDutchSpecimenNumber matches SPECI followed by four digits. The pattern
// fits the Dutch number format (two letters, six letters or digits, a digit),
// so it is kept that narrow: only the specimen series use it.
func isDutchSpecimenNumber(n string) bool {
	year, ok := strings.CutPrefix(n, "SPECI")
	return ok && len(year) == 4 && allDigits(year)
}

// SpecimenTD1 is a TD1 MRZ of the Dutch specimen identity card (document
// number SPECI2014, the specimen holder's fictional name), valid five years
// from now, with every check digit right, one line per row and a newline
// after each. IsSpecimen recognises it; specimens are accepted only by
// tenants whose policy allows them, which makes it the MRZ of demonstrations
// and tests: no real person's data.
func SpecimenTD1(now time.Time) string {
	const width = 30
	pad := func(s string, n int) string { return s + strings.Repeat(string(filler), n-len(s)) }
	digit := func(s string) string {
		d, _ := CheckDigit(s) // specimen text is all A–Z, 0–9 and <
		return string(d)
	}
	number := "SPECI2014"
	birth := "650310"
	expiry := now.AddDate(5, 0, 0).Format("060102")
	line1 := pad("I<NLD"+number+digit(number), width)
	line2 := birth + digit(birth) + "F" + expiry + digit(expiry) + "NLD"
	line2 = pad(line2, width-1)
	line2 += digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
	line3 := pad("DE<BRUIJN<<WILLEKE<LISELOTTE", width)
	return line1 + "\n" + line2 + "\n" + line3 + "\n"
}
