// Package readeval measures how well the OCR-B reader (package ocrb) reads
// the MRZ from phone photos of documents as they go wrong: blurred, with
// glare, at an angle, compressed, small. It renders random but well-formed
// MRZs on synthetic cards (package cardimage), degrades them the same way
// for a given seed, reads them and counts the readings that are exact,
// that could stand alone as the MRZ (ocrb.Trusted and the check digits)
// and, of those, the ones that are wrong: the figure that must stay 0.
//
// The accuracy tests of package ocrb and `idv eval mrz` share it, so the
// floors the tests hold and the table the command prints come from the
// same samples.
package readeval
