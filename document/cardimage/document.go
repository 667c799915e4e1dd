package cardimage

import (
	"fmt"
	"image"
	"strings"

	"github.com/idv-oss/idv/document/mrz"
)

// FieldsOf returns the printed text of a document whose MRZ says d, set
// beside the portrait where SpecimenFields sets the specimen's: the issuing
// state and the kind of document, the surname, the given names,
// nationality, sex and date of birth, and the document number, each cut
// to fit on a document of lineLen-character MRZ lines.
func FieldsOf(d *mrz.Document, lineLen int) []Field {
	const x, pitch = 0.42, 1.8 // SpecimenFields' column; drawFields' default pitch
	dw, _ := size(lineLen)
	fit := int(((1-x)*dw - 2) / pitch) // 2 mm short of the right edge
	kind := "TRAVEL DOCUMENT"
	switch c := d.DocumentCode; {
	case strings.HasPrefix(c, "P"):
		kind = "PASSPORT"
	case strings.HasPrefix(c, "I"), strings.HasPrefix(c, "A"), strings.HasPrefix(c, "C"):
		kind = "IDENTITY CARD"
	case strings.HasPrefix(c, "V"):
		kind = "VISA"
	}
	b := d.BirthDate
	lines := []string{
		d.IssuingState + "  " + kind,
		d.Surname,
		strings.Join(d.GivenNames, " "),
		fmt.Sprintf("%s  %s  %02d %02d %04d", d.Nationality, d.Sex, b.Day, int(b.Month), b.Year),
		d.DocumentNumber,
	}
	fields := make([]Field, len(lines))
	for i, text := range lines {
		if len(text) > fit {
			text = text[:fit]
		}
		fields[i] = Field{X: x, Y: SpecimenFields[i].Y, Text: text}
	}
	return fields
}

// DocumentPhoto is SpecimenPhoto for any MRZ: a phone photo (a JPEG of
// quality 90) of a generated document bearing the MRZ text, with the
// fields it gives printed beside the portrait (FieldsOf; grey bars where
// the text stands when the MRZ does not parse) and portrait printed in its
// place (nil: a drawn head). It passes the document check's quality gates,
// and its printed MRZ reads back as mrzText.
func DocumentPhoto(mrzText string, portrait image.Image, seed uint64) ([]byte, error) {
	lines := strings.Fields(mrzText)
	if len(lines) == 0 {
		return nil, fmt.Errorf("document photo: no MRZ lines")
	}
	opt := Options{Seed: seed, Portrait: portrait}
	if d, err := mrz.Parse(mrzText); err == nil {
		opt.Fields = FieldsOf(d, len(lines[0]))
	}
	card, err := Render(lines, opt)
	if err != nil {
		return nil, fmt.Errorf("document photo: %w", err)
	}
	return encodeJPEG(Photograph(card, seed))
}
