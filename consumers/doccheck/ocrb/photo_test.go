package ocrb_test

import (
	"image"
	"os"
	"path/filepath"
	"testing"

	_ "image/jpeg"
	_ "image/png"

	"github.com/idv-oss/idv/consumers/doccheck/ocrb"
)

// TestNoMRZInPhotos: the lawful Debian photos (scripts/test-images.sh)
// hold no MRZ; whatever the reader makes of them must never agree with an
// MRZ, nor claim a mismatch it cannot back.
func TestNoMRZInPhotos(t *testing.T) {
	t.Parallel()
	dir := os.Getenv("IDV_TEST_IMAGES")
	if dir == "" {
		t.Skip(`test photos absent: run IDV_TEST_IMAGES="$(scripts/test-images.sh)" go test ./consumers/doccheck/ocrb`)
	}
	r, err := ocrb.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	const sent = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
	for _, name := range []string{"grace_hopper.jpg", "astronaut.png"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := image.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
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
