package mrz

// weights are ICAO 9303's check-digit weights, repeated along the input.
var weights = [3]int{7, 3, 1}

// charValue is the value of an MRZ character in check-digit arithmetic:
// digits as themselves, A–Z as 10–35, the filler '<' as 0.
func charValue(c byte) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10, true
	case c == filler:
		return 0, true
	}
	return 0, false
}

// CheckDigit computes the ICAO 9303 check digit of s as the character
// '0'…'9'. It reports false if s holds a character outside A–Z, 0–9 and '<'.
//
// The digit is blind to substitutions whose values differ by a multiple of
// ten ('<'/0/A/K/U, 1/B/L/V, …), which is why a valid check digit does not
// prove a correct read.
func CheckDigit(s string) (byte, bool) {
	return checkDigitOver(s)
}

// checkDigitOver is CheckDigit over the concatenation of parts, as the
// composite check digit needs, without building the string.
func checkDigitOver(parts ...string) (byte, bool) {
	sum, i := 0, 0
	for _, p := range parts {
		for j := 0; j < len(p); j++ {
			v, ok := charValue(p[j])
			if !ok {
				return 0, false
			}
			sum += v * weights[i%3]
			i++
		}
	}
	return byte('0' + sum%10), true
}
