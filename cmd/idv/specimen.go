package main

import (
	"strings"
	"time"
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

// checkDigit is ICAO 9303's: weights 7, 3, 1; A–Z count 10–35, '<' 0.
func checkDigit(s string) string {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i, c := range s {
		v := 0
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		}
		sum += v * weights[i%3]
	}
	return string(rune('0' + sum%10))
}
