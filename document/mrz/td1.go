package mrz

// td1 is the identity-card layout, 3 lines of 30 (ICAO 9303 part 5).
// Line 1: code 1–2, state 3–5, document number 6–14, check 15, optional
// data 16–30 (a longer number: 15 is '<' and it continues in 16–30, followed
// by its check digit and a filler). Line 2: birth 1–6, check 7, sex 8,
// expiry 9–14, check 15, nationality 16–18, optional data 19–29, composite
// 30 over line 1 6–30 and line 2 1–7, 9–15, 19–29. Line 3: name.
var td1 = &layout{
	format:       TD1,
	width:        30,
	code:         idCode,
	documentCode: span{0, 0, 2},
	issuingState: span{0, 2, 5},
	number:       span{0, 5, 14},
	numberCheck:  span{0, 14, 15},
	overflow:     true,
	optional1:    span{0, 15, 30},
	birth:        span{1, 0, 6},
	birthCheck:   span{1, 6, 7},
	sex:          span{1, 7, 8},
	expiry:       span{1, 8, 14},
	expiryCheck:  span{1, 14, 15},
	nationality:  span{1, 15, 18},
	optional2:    span{1, 18, 29},
	composite:    span{1, 29, 30},
	compositeOver: []span{
		{0, 5, 30},
		{1, 0, 7},
		{1, 8, 15},
		{1, 18, 29},
	},
	name:                 span{2, 0, 30},
	dutchIdentityCardBSN: true,
}
