package ocrb

// The thresholds a reading must clear to stand alone as the MRZ, with no
// text from the app to compare it with (Trusted).
const (
	// TrustMinConfidence is the least confidence of every character: on
	// the test cards, characters read wrong score below it (`idv eval
	// mrz`).
	TrustMinConfidence = 0.7
	// TrustMinMargin is the least lead of a character over its runner-up
	// when the two are a check-digit blind pair (G/6, S/8, B/1, …): a
	// misread between them passes the check digits, so only the reading's
	// own certainty guards against it.
	TrustMinMargin = 0.1
)

// layouts are the MRZ layouts by line count and length: TD1 (3×30), TD2
// (2×36) and TD3 (2×44).
var layouts = map[[2]int]bool{{3, 30}: true, {2, 36}: true, {2, 44}: true}

// Trusted returns the reading's text (lines joined by newlines) when it can
// stand alone as the MRZ: a whole ICAO layout, every character at least
// TrustMinConfidence, and none whose runner-up is a blind pair within
// TrustMinMargin.
// It does not check the check digits; the caller parses the text. read nil
// (no MRZ found) is never trusted.
func Trusted(read *Result) (string, bool) {
	if read == nil || len(read.Lines) == 0 || !layouts[[2]int{len(read.Lines), len(read.Lines[0])}] {
		return "", false
	}
	for _, l := range read.Lines {
		if len(l) != len(read.Lines[0]) {
			return "", false
		}
		for _, c := range l {
			if c.Confidence < TrustMinConfidence {
				return "", false
			}
			if Suspect(c.Char, c.Runner) && c.Confidence-c.RunnerConfidence < TrustMinMargin {
				return "", false
			}
		}
	}
	return read.Text(), true
}
