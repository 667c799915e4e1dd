package mrz

// td3 is the passport layout, 2 lines of 44 (ICAO 9303 part 4). Line 1:
// code 1–2, state 3–5, name 6–44. Line 2: document number 1–9, check 10,
// nationality 11–13, birth 14–19, check 20, sex 21, expiry 22–27, check 28,
// personal number 29–42, check 43 ('<' or 0 when empty), composite 44 over
// 1–10, 14–20, 22–43.
var td3 = twoLine(TD3, 44, passportCode, func(l *layout) {
	l.personal = span{1, 28, 42}
	l.personalCheck = span{1, 42, 43}
	l.composite = span{1, 43, 44}
	l.compositeOver = []span{{1, 0, 10}, {1, 13, 20}, {1, 21, 43}}
	l.dutchPassportBSN = true
})

// passportCode: P, then a letter or filler chosen by the issuer.
func passportCode(c string) bool { return c[0] == 'P' && isLetterOrFiller(c[1]) }
