package mrz

// td1 is the identity-card layout, 3 lines of 30 (ICAO 9303 part 5).
// Line 1: code 1–2, state 3–5, document number 6–14, check 15, optional
// data 16–30 (a longer number: 15 is '<' and it continues in 16–30, followed
// by its check digit and a filler). Line 2: birth 1–6, check 7, sex 8,
// expiry 9–14, check 15, nationality 16–18, optional data 19–29, composite
// 30 over line 1 6–30 and line 2 1–7, 9–15, 19–29. Line 3: name.
var td1 = newLayout(TD1, 30, idCode, func(l *layout) {
	l.numberAt(0, 5)
	l.overflow = true
	l.optional1 = span{0, 15, 30}
	l.datesAt(1, 0)
	l.nationality = span{1, 15, 18}
	l.optional2 = span{1, 18, 29}
	l.composite = span{1, 29, 30}
	l.compositeOver = []span{{0, 5, 30}, {1, 0, 7}, {1, 8, 15}, {1, 18, 29}}
	l.name = span{2, 0, 30}
	l.dutchIdentityCardBSN = true
})
