package doccheck

import "testing"

// Test helpers shared with the black-box tests of package doccheck_test.
var (
	PNGClaiming = pngClaiming
	TestPNG     = func(t testing.TB, w, h int) []byte { return encodePNG(t, testImage(w, h)) }
	TestJPEG    = func(t testing.TB, w, h int) []byte { return encodeJPEG(t, testImage(w, h)) }
)
