package mrz

import "log/slog"

// Format is the layout of a machine-readable zone.
type Format string

// The layouts of ICAO 9303 Parse recognises.
const (
	TD1  Format = "TD1"  // identity card, 3 lines of 30 (part 5)
	TD2  Format = "TD2"  // official travel document, 2 lines of 36 (part 6)
	TD3  Format = "TD3"  // passport, 2 lines of 44 (part 4)
	MRVA Format = "MRVA" // visa, format A: 2 lines of 44 (part 7)
	MRVB Format = "MRVB" // visa, format B: 2 lines of 36 (part 7)
)

// Document is what an MRZ says, fillers removed. It is personal data: it
// must be sealed before it is stored, and it formats itself without its
// contents (String, GoString, LogValue) so that a stray log line cannot leak
// it.
type Document struct {
	Format Format
	// DocumentCode is the one- or two-letter code: "P", "PO", "I", "ID",
	// "AC", "V", …
	DocumentCode string
	// IssuingState and Nationality are ISO 3166-1 alpha-3 codes or ICAO's
	// additional codes ("D" for Germany, "XXA" for stateless, …).
	IssuingState string
	Nationality  string
	// DocumentNumber includes the overflow part of a TD1 or TD2 number
	// longer than nine characters.
	DocumentNumber string
	BirthDate      Date // century by the latest one not in the future
	ExpiryDate     Date // always 20YY
	// Sex is "M", "F", or "X" where the MRZ leaves it unspecified ('<').
	Sex        string
	Surname    string
	GivenNames []string
	// PersonalNumber is the TD3 personal-number field. It is left empty when
	// the field holds a Dutch BSN: see BSN.
	PersonalNumber string
	// Optional1 is the optional data of TD1 line 1 (after any document
	// number overflow, and without a Dutch BSN), or of TD2, MRV-A and MRV-B
	// line 2 (after any overflow).
	Optional1 string
	// Optional2 is the optional data of TD1 line 2.
	Optional2 string

	// bsn is the Dutch citizen service number, kept out of the exported
	// fields so that copying a Document never extracts it by accident.
	bsn string
}

// BSN returns the Dutch citizen service number (burgerservicenummer) that
// Dutch documents issued before 2021 carry in the MRZ: in the personal-number
// field of a passport (TD3 line 2, 29–42) or in the optional data of an
// identity card (TD1 line 1, 16–24, with its own check digit in 30).
//
// Article 46 UAVG allows processing a BSN only where a law provides for it:
// call BSN only on the tenant's declared legal basis. The BSN is not
// validated beyond the MRZ check digits.
func (d *Document) BSN() (string, bool) {
	return d.bsn, d.bsn != ""
}

// String names the format only: a Document is personal data.
func (d Document) String() string {
	return "mrz.Document{Format:" + string(d.Format) + " (contents redacted)}"
}

// GoString is String, so that %#v does not print the contents either.
func (d Document) GoString() string { return d.String() }

// LogValue logs the format only.
func (d Document) LogValue() slog.Value {
	return slog.GroupValue(slog.String("format", string(d.Format)), slog.Bool("redacted", true))
}
