package cardimage

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"strings"
)

// SpecimenFields is the printed text of the Dutch specimen identity card's
// front (mrz.SpecimenTD1), set beside the portrait.
var SpecimenFields = []Field{
	{X: 0.42, Y: 0.10, Text: "NEDERLAND  IDENTITEITSKAART"},
	{X: 0.42, Y: 0.24, Text: "DE BRUIJN"},
	{X: 0.42, Y: 0.34, Text: "WILLEKE LISELOTTE"},
	{X: 0.42, Y: 0.44, Text: "NLD  V  10 03 1965"},
	{X: 0.42, Y: 0.54, Text: "SPECI2014"},
}

// SpecimenPhoto is a phone photo of a generated specimen card bearing the
// MRZ text (SpecimenCard at 12 pixels per mm), as a JPEG of quality 90.
func SpecimenPhoto(mrzText string, portrait image.Image, seed uint64) ([]byte, error) {
	img, err := SpecimenCard(mrzText, portrait, seed, 0)
	if err != nil {
		return nil, err
	}
	return encodeJPEG(img)
}

// encodeJPEG encodes a document photo as a phone would: JPEG, quality 90.
func encodeJPEG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		return nil, fmt.Errorf("document photo: %w", err)
	}
	return buf.Bytes(), nil
}

// SpecimenCard is a phone photo of a generated card bearing the MRZ text
// and the specimen's printed fields (OCR-B on card stock, a little
// perspective, sensor noise), with portrait printed where the portrait goes
// (nil: a drawn head), pxPerMM pixels per millimetre of the card (0: 12, a
// TD1 card about 1000 pixels wide). It passes the document check's quality
// gates, and its printed MRZ reads back as the text the app sends beside
// it. seed varies the card and the photo.
func SpecimenCard(mrzText string, portrait image.Image, seed uint64, pxPerMM float64) (image.Image, error) {
	card, err := Render(strings.Fields(mrzText), Options{Seed: seed, PxPerMM: pxPerMM,
		Portrait: portrait, Fields: SpecimenFields})
	if err != nil {
		return nil, fmt.Errorf("document photo: %w", err)
	}
	return Photograph(card, seed), nil
}
