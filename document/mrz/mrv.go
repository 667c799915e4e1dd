package mrz

// Machine-readable visas (ICAO 9303 part 7) share the line lengths of TD3
// (format A) and TD2 (format B) but not their second line's tail: after the
// expiry check digit (28) comes optional data to the end of the line, with
// no personal-number check and no composite check digit. They are told
// apart by the document code, which starts with V.

// mrva is the visa layout A, 2 lines of 44.
var mrva = twoLine(MRVA, 44, visaCode, visaTail)

// mrvb is the visa layout B, 2 lines of 36.
var mrvb = twoLine(MRVB, 36, visaCode, visaTail)

// visaTail: optional data from 29 to the end of the line, and no check
// digit after it.
func visaTail(l *layout) { l.optional1 = span{1, 28, l.width} }

// visaCode: V, then a letter or filler chosen by the issuer.
func visaCode(c string) bool { return c[0] == 'V' && isLetterOrFiller(c[1]) }
