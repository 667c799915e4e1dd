// Package chip verifies what an app read from the contactless chip of an
// ICAO 9303 travel document (eMRTD): passive authentication of the data
// groups against the Document Security Object (EF.SOD), its Document Signer
// certificate and a chain to a trusted Country Signing CA, active
// authentication against a challenge the server issued, and extraction of
// the DG2 portrait.
//
// It parses CMS, X.509 and the LDS with encoding/asn1 and verifies
// signatures itself, because real chips use brainpool curves and RSA-PSS,
// which Go's x509 and the pkcs7 modules refuse. Brainpool arithmetic here is
// for verification of public data only and is not constant-time.
//
// Everything it reads is hostile input: sizes are capped before anything is
// allocated, parsers return errors instead of panicking, and a verification
// reports stable reason codes that never quote document contents.
package chip
