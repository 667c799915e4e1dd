package cardimage_test

import (
	"bytes"
	"image/jpeg"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/document/quality"
)

// TestDocumentPhoto: a photo of a card whose MRZ fills its name line, and
// of one whose MRZ does not parse, passes the quality gates and reads back
// as the MRZ printed; the fields a parsed MRZ gives are cut to fit the card.
func TestDocumentPhoto(t *testing.T) {
	t.Parallel()
	r, err := ocrb.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	specimen := strings.Fields(mrz.SpecimenTD1(time.Now()))
	long := specimen[0] + "\n" + specimen[1] + "\nVAN<DEN<BERGHE<VAN<ASSCHE<<JAN\n"
	badDigit := specimen[0] + "\n" + strings.Replace(specimen[1], "650310", "650311", 1) + "\n" + specimen[2] + "\n"
	if _, err := mrz.Parse(badDigit); err == nil {
		t.Fatal("the MRZ with a wrong date of birth parses")
	}
	for name, text := range map[string]string{"long name": long, "wrong check digit": badDigit} {
		photo, err := cardimage.DocumentPhoto(text, nil, 1)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		img, err := jpeg.Decode(bytes.NewReader(photo))
		if err != nil {
			t.Fatal(err)
		}
		if reasons, m := quality.Check(img, quality.Config{}); reasons != nil {
			t.Errorf("%s: %v (%+v)", name, reasons, m)
		}
		res, err := r.Read(img)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c := ocrb.Compare(res, text, ocrb.CompareConfig{}); c.Reasons != nil {
			t.Errorf("%s: read %q: %v", name, res.Text(), c.Reasons)
		}
	}
	d, err := mrz.Parse(long)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := cardimage.Size(30)
	for _, f := range cardimage.FieldsOf(d, 30) {
		if right := f.X*w + float64(len(f.Text))*1.8; right > w-2 {
			t.Errorf("field %q ends %.1f mm from the left of a %.1f mm card", f.Text, right, w)
		}
	}
}
