package mrz

import "strings"

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
