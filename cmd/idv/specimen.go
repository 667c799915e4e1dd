package main

import (
	"strings"
	"time"

	"github.com/idv-oss/idv/consumers/doccheck/mrz"
)

// specimenMRZ is a TD1 MRZ of the Dutch specimen identity card (document
// number SPECI2014, the specimen holder's fictional name), valid five years
// from now, with every check digit right. Specimens are accepted only by
// tenants whose policy allows them, as the dev tenant's does.
func specimenMRZ(now time.Time) string {
	number := "SPECI2014"
	birth := "650310"
	expiry := now.AddDate(5, 0, 0).Format("060102")
	line1 := pad("I<NLD"+number+checkDigit(number), 30)
	line2 := birth + checkDigit(birth) + "F" + expiry + checkDigit(expiry) + "NLD"
	line2 = pad(line2, 29)
	line2 += checkDigit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
	line3 := pad("DE<BRUIJN<<WILLEKE<LISELOTTE", 30)
	return line1 + "\n" + line2 + "\n" + line3 + "\n"
}

func pad(s string, n int) string { return s + strings.Repeat("<", n-len(s)) }

func checkDigit(s string) string {
	d, _ := mrz.CheckDigit(s) // specimen text is all A–Z, 0–9 and <
	return string(d)
}
