package mrz

import "strings"

// Dutch documents issued before 2021 carry the holder's BSN in the MRZ
// (from 2021 it moved to a QR code on the data page). The parser lifts it
// out of the ordinary fields into Document.bsn.

// passportBSN recognises a BSN in the TD3 personal-number field: nine
// digits, then fillers. Its check digit is the field's ordinary one.
func passportBSN(personal string) (string, bool) {
	bsn := strings.TrimRight(personal, "<")
	return bsn, len(bsn) == 9 && allDigits(bsn)
}

// identityCardBSN recognises a BSN in the optional data of TD1 line 1: nine
// digits in 16–24, with their own check digit in 30. It returns the BSN and
// the optional data left (25–29); when 16–24 are not nine digits there is no
// BSN and the optional data are left alone.
func identityCardBSN(opt string, where span) (bsn, rest string, err *Error) {
	if len(opt) != 15 || !allDigits(opt[:9]) {
		return "", opt, nil
	}
	check := span{where.line, where.start + 14, where.start + 15}
	if want, _ := CheckDigit(opt[:9]); opt[14] != want {
		return "", "", errorAt(ReasonCheckDigit, FieldBSN, check, "check digit does not match")
	}
	return opt[:9], opt[9:14], nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// ElevenProof reports whether s is nine digits passing the BSN's
// "elfproef": 9·d1 + 8·d2 + … + 2·d8 − d9 is a multiple of 11. Most
// nine-digit strings fail it, so a number that passes is likely a BSN.
func ElevenProof(s string) bool {
	if len(s) != 9 || !allDigits(s) {
		return false
	}
	sum := 0
	for i := range 8 {
		sum += (9 - i) * int(s[i]-'0')
	}
	sum -= int(s[8] - '0')
	return sum%11 == 0
}
