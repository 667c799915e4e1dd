package chip

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"
)

// maxCertificateBytes caps one certificate's DER.
const maxCertificateBytes = 16 << 10

var (
	oidSubjectKeyID   = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidAuthorityKeyID = asn1.ObjectIdentifier{2, 5, 29, 35}
)

// Certificate is an X.509 certificate as far as passive authentication
// needs it. Unlike crypto/x509 it accepts brainpool and explicit-parameter
// keys; a key it cannot use is kept as KeyErr so that one odd CSCA does not
// spoil a whole master list.
type Certificate struct {
	Raw       []byte
	Subject   pkix.Name
	Issuer    pkix.Name
	NotBefore time.Time
	NotAfter  time.Time
	// KeyErr is why the subject public key cannot verify signatures, nil
	// when it can.
	KeyErr error

	rawTBS, rawIssuer, rawSubject []byte
	serial                        *big.Int
	key                           publicKey
	sigAlg                        algorithmIdentifier
	signature                     []byte
	subjectKeyID, authorityKeyID  []byte
}

// ParseCertificate reads one DER certificate.
func ParseCertificate(der []byte) (*Certificate, error) {
	return parseCapped("certificate", der, maxCertificateBytes, parseCertificate)
}

func parseCertificate(der []byte) (*Certificate, error) {
	es, err := parseSequence(der, 3, "Certificate")
	if err != nil {
		return nil, err
	}
	c := &Certificate{Raw: der, rawTBS: es[0].FullBytes}
	if c.sigAlg, err = parseAlgorithm(es[1]); err != nil {
		return nil, err
	}
	var sig asn1.BitString
	if err := decode(es[2], &sig, "signatureValue"); err != nil {
		return nil, err
	}
	c.signature = sig.RightAlign()

	tbs, err := sequence(es[0], 6, "TBSCertificate")
	if err != nil {
		return nil, err
	}
	if is(tbs[0], asn1.ClassContextSpecific, 0, true) {
		tbs = tbs[1:] // version
	}
	if len(tbs) < 6 {
		return nil, fmt.Errorf("%w: TBSCertificate too short", ErrMalformed)
	}
	if c.serial, err = integer(tbs[0], "serialNumber"); err != nil {
		return nil, err
	}
	if !isSequence(tbs[2]) || !isSequence(tbs[4]) {
		return nil, fmt.Errorf("%w: issuer or subject is not a Name", ErrMalformed)
	}
	c.rawIssuer, c.rawSubject = tbs[2].FullBytes, tbs[4].FullBytes
	// Names only label a certificate for people; matching compares the raw
	// DER first. Some CSCAs' names break PrintableString's alphabet, which
	// encoding/asn1 enforces, so a name that does not decode stays empty.
	c.Issuer, c.Subject = parseName(tbs[2]), parseName(tbs[4])
	var validity struct{ NotBefore, NotAfter time.Time }
	if err := decode(tbs[3], &validity, "validity"); err != nil {
		return nil, err
	}
	c.NotBefore, c.NotAfter = validity.NotBefore, validity.NotAfter
	c.key, c.KeyErr = parsePublicKey(tbs[5].FullBytes)
	for _, e := range tbs[6:] {
		if !is(e, asn1.ClassContextSpecific, 3, true) {
			continue // issuerUniqueID, subjectUniqueID
		}
		if err := c.parseExtensions(e); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func parseName(v asn1.RawValue) pkix.Name {
	var rdn pkix.RDNSequence
	var n pkix.Name
	if decode(v, &rdn, "Name") == nil {
		n.FillFromRDNSequence(&rdn)
	}
	return n
}

// parseExtensions keeps the key identifiers, which pick the CSCA among
// several with the same name (key rollover).
func (c *Certificate) parseExtensions(v asn1.RawValue) error {
	inner, err := explicit(v, 3)
	if err != nil {
		return err
	}
	var exts []pkix.Extension
	if err := decode(inner, &exts, "extensions"); err != nil {
		return err
	}
	for _, e := range exts {
		switch {
		case e.Id.Equal(oidSubjectKeyID):
			if _, err := asn1.Unmarshal(e.Value, &c.subjectKeyID); err != nil {
				return fmt.Errorf("%w: subjectKeyIdentifier", ErrMalformed)
			}
		case e.Id.Equal(oidAuthorityKeyID):
			var aki struct {
				ID []byte `asn1:"optional,tag:0"`
			}
			if _, err := asn1.Unmarshal(e.Value, &aki); err == nil {
				c.authorityKeyID = aki.ID
			}
		}
	}
	return nil
}

// validAt reports whether t lies within the certificate's validity period.
func (c *Certificate) validAt(t time.Time) bool {
	return !t.Before(c.NotBefore) && !t.After(c.NotAfter)
}

// mayHaveIssued reports whether issuer's name and key identifier fit c's
// issuer fields; checkSignatureFrom decides. Names compare as DER first,
// then as text, since some countries encode the same name differently in
// CSCA and Document Signer certificates.
func (c *Certificate) mayHaveIssued(issuer *Certificate) bool {
	if !bytes.Equal(c.rawIssuer, issuer.rawSubject) &&
		(len(c.Issuer.Names) == 0 || c.Issuer.String() != issuer.Subject.String()) {
		return false
	}
	return len(c.authorityKeyID) == 0 || len(issuer.subjectKeyID) == 0 ||
		bytes.Equal(c.authorityKeyID, issuer.subjectKeyID)
}

// checkSignatureFrom verifies c's signature with issuer's key.
func (c *Certificate) checkSignatureFrom(issuer *Certificate) error {
	if issuer.KeyErr != nil {
		return issuer.KeyErr
	}
	alg, err := parseSignatureAlgorithm(c.sigAlg, 0)
	if err != nil {
		return err
	}
	return verifySignature(issuer.key, alg, c.rawTBS, c.signature)
}
