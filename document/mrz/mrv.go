package mrz

// Machine-readable visas (ICAO 9303 part 7) share the line lengths of TD3
// (format A) and TD2 (format B) but not their second line's tail: after the
// expiry check digit (28) comes optional data to the end of the line, with
// no personal-number check and no composite check digit. They are told
// apart by the document code, which starts with V.

// mrva is the visa layout A, 2 lines of 44.
var mrva = visaLayout(MRVA, 44)

// mrvb is the visa layout B, 2 lines of 36.
var mrvb = visaLayout(MRVB, 36)

func visaLayout(f Format, width int) *layout {
	return &layout{
		format:       f,
		width:        width,
		code:         visaCode,
		documentCode: span{0, 0, 2},
		issuingState: span{0, 2, 5},
		name:         span{0, 5, width},
		number:       span{1, 0, 9},
		numberCheck:  span{1, 9, 10},
		nationality:  span{1, 10, 13},
		birth:        span{1, 13, 19},
		birthCheck:   span{1, 19, 20},
		sex:          span{1, 20, 21},
		expiry:       span{1, 21, 27},
		expiryCheck:  span{1, 27, 28},
		optional1:    span{1, 28, width},
	}
}

// visaCode: V, then a letter or filler chosen by the issuer.
func visaCode(c string) bool { return c[0] == 'V' && isLetterOrFiller(c[1]) }
