package redact

import (
	"strings"

	"github.com/idv-oss/idv/document/mrz"
)

// Box is a rectangle on a document in fractions of its width and height,
// (0, 0) its top left corner, as the document lies upright.
type Box struct{ X0, Y0, X1, Y1 float64 }

// Kind is what selects a document's layout, all of it read from an MRZ:
// the issuing state, the MRZ's shape (TD1 3×30, TD2 2×36, TD3 2×44),
// whether it carries a Dutch BSN (which Dutch documents did until the
// designs of 2021 moved it out of the MRZ and the chip) and, for a Dutch
// document, whether it predates the designs of 2014.
type Kind struct {
	State         string
	Lines, Length int
	BSN           bool
	// Before2014 says a Dutch document expires before 9 March 2019, or
	// its expiry does not read. The designs of 2014 came on 9 March 2014,
	// valid for five years at least; the documents before them, valid for
	// five, printed the BSN where no layout of the table has it: on the
	// identity card's front (the side without the MRZ), beside the
	// portrait, and among the fields of the passport's data page. Expired,
	// such a document is declined, but its copy is made all the same; a
	// later document taken for one (an emergency passport) is only masked
	// more.
	Before2014 bool
}

// Layout is where a document design prints a personal number in its
// visual inspection zone (VIZ), on the side that bears the MRZ.
type Layout struct {
	// Name says which design, for logs and tests.
	Name string
	Kind Kind
	// Numbers are the VIZ zones that hold a personal number (caption and
	// value), on the MRZ side; none when the design prints none there.
	Numbers []Box
	// OtherSideClear says the side without the MRZ prints no personal
	// number, so a photo of it needs no VIZ mask.
	OtherSideClear bool
}

// Layouts is the table of document designs whose personal-number zones
// are known. The zones are generous bands (the whole row of fields the
// number sits in, right of the portrait), drawn from the issuer's public
// descriptions, not measured on a specimen; a design not listed gets the
// fallback (Finder.Find).
//
//   - Dutch passport, 2014–2021 design: the MRZ carries the BSN (TD3
//     line 2, 29–37); the issuer and the municipalities put the printed
//     BSN ("persoonsnummer") on the back of the data page (RvIG, "Waar
//     vind ik mijn burgerservicenummer?"), a side without MRZ, which gets
//     the fallback. The zone on the front, the lower rows of the fields
//     right of the portrait, stays: press reports of the 2021 design speak
//     of the BSN leaving the data page's front, and masking more costs
//     only fields the MRZ repeats.
//   - Dutch identity card, 2014–2021 design: the back, which bears the
//     MRZ, prints the BSN at its top right, above the other fields; the
//     MRZ carries it in line 1, 16–24. The front (portrait, name, dates,
//     document number) prints none.
//   - Dutch passport, 2021 design: the BSN left the data page's front and
//     the MRZ; it is printed, and in a QR code, on the back of the data
//     page (RvIG, "Features of the Dutch passports 2021"). The front has
//     no number zone; a photo of that back bears no MRZ and gets the
//     fallback.
//   - Dutch documents of before 2014 (Kind.Before2014) match no layout:
//     they get the fallback.
func Layouts() []Layout {
	return []Layout{
		{Name: "NLD passport 2014–2021, data page", Kind: Kind{State: "NLD", Lines: 2, Length: 44, BSN: true},
			Numbers: []Box{{X0: 0.33, Y0: 0.52, X1: 1, Y1: 0.78}}},
		{Name: "NLD identity card 2014–2021, back", Kind: Kind{State: "NLD", Lines: 3, Length: 30, BSN: true},
			Numbers: []Box{{X0: 0, Y0: 0.04, X1: 1, Y1: 0.50}}, OtherSideClear: true},
		{Name: "NLD passport 2021, data page", Kind: Kind{State: "NLD", Lines: 2, Length: 44}},
	}
}

// LayoutFor returns the layout of documents of kind k, and false when no
// layout of the table fits.
func LayoutFor(k Kind) (Layout, bool) {
	for _, l := range Layouts() {
		if l.Kind == k {
			return l, true
		}
	}
	return Layout{}, false
}

// KindOf reads the kind of document from MRZ lines (as the app sent them,
// or as the reader read them): the issuing state (positions 3–5 of line
// 1), the shape, whether the field where Dutch documents carry the BSN
// holds nine digits that pass the eleven-proof (TD3 line 2, 29–37; TD1
// line 1, 16–24) and, for a Dutch document, whether its expiry (TD3 line
// 2, 22–27; TD1 line 2, 9–14) dates it before 2014. It reports false for
// lines of no ICAO shape.
func KindOf(lines []string) (Kind, bool) {
	if len(lines) < 2 || len(lines) > 3 {
		return Kind{}, false
	}
	n := len(lines[0])
	for _, l := range lines {
		if len(l) != n {
			return Kind{}, false
		}
	}
	k := Kind{Lines: len(lines), Length: n}
	switch {
	case k.Lines == 3 && n == 30:
		k.BSN = mrz.ElevenProof(lines[0][15:24])
	case k.Lines == 2 && n == 44:
		k.BSN = mrz.ElevenProof(lines[1][28:37])
	case k.Lines == 2 && n == 36:
	default:
		return Kind{}, false
	}
	k.State = strings.TrimRight(lines[0][2:5], "<")
	if k.State == "NLD" {
		expiry := lines[1][21:27] // TD2, TD3: line 2, 22–27
		if k.Lines == 3 {
			expiry = lines[1][8:14] // TD1: line 2, 9–14
		}
		k.Before2014 = !since2014(expiry)
	}
	return k, true
}

// since2014 reports whether the expiry date yymmdd is 9 March 2019 or
// later, the first of a document of the 2014 designs; a year of 50 or more
// is of the 1900s.
func since2014(yymmdd string) bool {
	for _, c := range []byte(yymmdd) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(yymmdd) == 6 && yymmdd < "50" && yymmdd >= "190309"
}
