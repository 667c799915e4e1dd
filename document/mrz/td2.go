package mrz

// td2 is the official-travel-document layout, 2 lines of 36 (ICAO 9303
// part 6). Line 1: code 1–2, state 3–5, name 6–36. Line 2: document number
// 1–9, check 10 (a longer number continues in the optional data as in TD1),
// nationality 11–13, birth 14–19, check 20, sex 21, expiry 22–27, check 28,
// optional data 29–35, composite 36 over 1–10, 14–20, 22–35.
var td2 = twoLine(TD2, 36, idCode, func(l *layout) {
	l.overflow = true
	l.optional1 = span{1, 28, 35}
	l.composite = span{1, 35, 36}
	l.compositeOver = []span{{1, 0, 10}, {1, 13, 20}, {1, 21, 35}}
})
