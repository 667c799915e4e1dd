package doccheck

import (
	"image"
	"testing"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/document/chip"
	"github.com/idv-oss/idv/imagegate/imagetest"
)

// Test helpers shared with the black-box tests of package doccheck_test.
var (
	PNGClaiming = imagetest.PNGClaiming
	TestPNG     = func(t testing.TB, w, h int) []byte { return imagetest.PNG(t, imagetest.Picture(w, h)) }
	TestJPEG    = func(t testing.TB, w, h int) []byte { return imagetest.JPEG(t, imagetest.Picture(w, h)) }
)

// CheckChip runs the stage's chip check alone: the reasons and the decoded
// portrait it keeps as evidence.
func CheckChip(t testing.TB, cscas *chip.TrustStore, files []byte, mrzText string, now time.Time) ([]string, image.Image) {
	return CheckChipAA(t, cscas, files, nil, nil, mrzText, now)
}

// CheckChipAA is CheckChip with the chip's active-authentication answer and
// the session's challenge.
func CheckChipAA(t testing.TB, cscas *chip.TrustStore, files, aa, challenge []byte, mrzText string, now time.Time) ([]string, image.Image) {
	s := New(Deps{CSCAs: cscas}, Config{})
	var reasons idv.Reasons
	var ev evidence
	s.checkChip(&reasons, &ev, chipInput{files: files, aa: aa, challenge: challenge, mrz: mrzText}, now)
	return reasons.Codes(), ev.portrait
}
