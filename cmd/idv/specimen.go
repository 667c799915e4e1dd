package main

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"strings"
	"time"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/mrz"
)

// specimenMRZ is a TD1 MRZ of the Dutch specimen identity card (document
// number SPECI2014, the specimen holder's fictional name), valid five years
// from now, with every check digit right. Specimens are accepted only by
// tenants whose policy allows them, as the dev tenant's does.
func specimenMRZ(now time.Time) string {
	number := "SPECI2014"
	birth := "650310"
	expiry := now.AddDate(5, 0, 0).Format("060102")
	line1 := pad("I<NLD"+number+checkDigit(number), 30)
	line2 := birth + checkDigit(birth) + "F" + expiry + checkDigit(expiry) + "NLD"
	line2 = pad(line2, 29)
	line2 += checkDigit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
	line3 := pad("DE<BRUIJN<<WILLEKE<LISELOTTE", 30)
	return line1 + "\n" + line2 + "\n" + line3 + "\n"
}

func pad(s string, n int) string { return s + strings.Repeat("<", n-len(s)) }

func checkDigit(s string) string {
	d, _ := mrz.CheckDigit(s) // specimen text is all A–Z, 0–9 and <
	return string(d)
}

// specimenFields is the printed text of the specimen card's front, set
// beside the portrait.
var specimenFields = []cardimage.Field{
	{X: 0.42, Y: 0.10, Text: "NEDERLAND  IDENTITEITSKAART"},
	{X: 0.42, Y: 0.24, Text: "DE BRUIJN"},
	{X: 0.42, Y: 0.34, Text: "WILLEKE LISELOTTE"},
	{X: 0.42, Y: 0.44, Text: "NLD  V  10 03 1965"},
	{X: 0.42, Y: 0.54, Text: "SPECI2014"},
}

// documentPhoto is a phone photo of a generated card bearing the MRZ text
// (documentCard at 12 pixels per mm), as a JPEG of quality 90.
func documentPhoto(mrzText string, portrait image.Image, seed uint64) ([]byte, error) {
	img, err := documentCard(mrzText, portrait, seed, 0)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		return nil, fmt.Errorf("document photo: %w", err)
	}
	return buf.Bytes(), nil
}

// documentCard is a phone photo of a generated card bearing the MRZ text
// (package cardimage: OCR-B on card stock, a little perspective, sensor
// noise), with portrait printed where the portrait goes (nil: a drawn
// head), pxPerMM pixels per millimetre of the card (0: 12, a TD1 card
// about 1000 pixels wide). It passes the document check's quality gates,
// and its printed MRZ reads back as the text the app sends beside it.
// seed varies the card and the photo.
func documentCard(mrzText string, portrait image.Image, seed uint64, pxPerMM float64) (image.Image, error) {
	card, err := cardimage.Render(strings.Fields(mrzText), cardimage.Options{Seed: seed, PxPerMM: pxPerMM,
		Portrait: portrait, Fields: specimenFields})
	if err != nil {
		return nil, fmt.Errorf("document photo: %w", err)
	}
	return cardimage.Photograph(card, seed), nil
}
