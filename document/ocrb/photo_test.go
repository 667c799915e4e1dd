package ocrb_test

import (
	"testing"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/ocrb"
)

// TestNoMRZInPhotos: the lawful Debian photos (scripts/test-images.sh)
// hold no MRZ; whatever the reader makes of them must never agree with an
// MRZ, nor claim a mismatch it cannot back.
func TestNoMRZInPhotos(t *testing.T) {
	t.Parallel()
	r, err := ocrb.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	const sent = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
	for name, img := range cardimage.DebianPhotos(t) {
		res, err := r.Read(img)
		if err != nil && err != ocrb.ErrNoMRZ {
			t.Fatalf("%s: %v", name, err)
		}
		if err != nil {
			res = nil
		}
		c := ocrb.Compare(res, sent, ocrb.CompareConfig{})
		if len(c.Reasons) != 1 || c.Reasons[0] != ocrb.ReasonUnreadable {
			t.Errorf("%s: reasons %v, want [%s]", name, c.Reasons, ocrb.ReasonUnreadable)
		}
	}
}
