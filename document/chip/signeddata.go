package chip

import (
	"bytes"
	"crypto"
	"crypto/subtle"
	"encoding/asn1"
	"fmt"
	"math/big"
)

var (
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
)

// signedData is a CMS SignedData (RFC 5652) with its first signer: EF.SOD
// and master lists each carry exactly one.
type signedData struct {
	contentType  asn1.ObjectIdentifier // eContentType
	content      []byte                // eContent
	certificates []*Certificate
	signer       signerInfo
}

type signerInfo struct {
	issuer, serial []byte // IssuerAndSerialNumber, raw
	subjectKeyID   []byte // or [0] SubjectKeyIdentifier
	digestAlg      algorithmIdentifier
	signedAttrs    []byte // DER of the SET OF Attribute, nil when absent
	sigAlg         algorithmIdentifier
	signature      []byte
}

// parseContentInfo reads a ContentInfo holding SignedData.
func parseContentInfo(der []byte) (*signedData, error) {
	es, err := parseSequence(der, 2, "ContentInfo")
	if err != nil {
		return nil, err
	}
	var ct asn1.ObjectIdentifier
	if err := decode(es[0], &ct, "contentType"); err != nil {
		return nil, err
	}
	if !ct.Equal(oidSignedData) {
		return nil, fmt.Errorf("%w: content type %v is not SignedData", ErrMalformed, ct)
	}
	inner, err := explicit(es[1], 0)
	if err != nil {
		return nil, fmt.Errorf("ContentInfo content: %w", err)
	}
	return parseSignedData(inner)
}

// parseSignedContent reads a ContentInfo holding SignedData whose content is
// of type want: a SEQUENCE of at least min elements, named what in errors.
// It returns the SignedData and the content's elements.
func parseSignedContent(der []byte, want asn1.ObjectIdentifier, min int, what string) (*signedData, []asn1.RawValue, error) {
	sd, err := parseContentInfo(der)
	if err != nil {
		return nil, nil, err
	}
	if !sd.contentType.Equal(want) {
		return nil, nil, fmt.Errorf("%w: eContentType %v is not %s", ErrMalformed, sd.contentType, what)
	}
	es, err := parseSequence(sd.content, min, what)
	if err != nil {
		return nil, nil, err
	}
	return sd, es, nil
}

func parseSignedData(v asn1.RawValue) (*signedData, error) {
	es, err := sequence(v, 4, "SignedData")
	if err != nil {
		return nil, err
	}
	// es[0] version, es[1] digestAlgorithms: the signer names its own.
	eci, err := sequence(es[2], 1, "EncapsulatedContentInfo")
	if err != nil {
		return nil, err
	}
	sd := &signedData{}
	if err := decode(eci[0], &sd.contentType, "eContentType"); err != nil {
		return nil, err
	}
	if len(eci) < 2 {
		return nil, fmt.Errorf("%w: SignedData without eContent", ErrMalformed)
	}
	ec, err := explicit(eci[1], 0)
	if err != nil {
		return nil, fmt.Errorf("eContent: %w", err)
	}
	if sd.content, err = octets(ec, "eContent"); err != nil {
		return nil, err
	}
	rest := es[3:]
	if len(rest) > 0 && is(rest[0], asn1.ClassContextSpecific, 0, true) {
		certs, err := children(rest[0])
		if err != nil {
			return nil, fmt.Errorf("certificates: %w", err)
		}
		for _, c := range certs {
			if !isSequence(c) {
				continue // attribute or other certificate formats
			}
			cert, err := parseCertificate(c.FullBytes)
			if err != nil {
				return nil, fmt.Errorf("certificate: %w", err)
			}
			sd.certificates = append(sd.certificates, cert)
		}
		rest = rest[1:]
	}
	if len(rest) > 0 && is(rest[0], asn1.ClassContextSpecific, 1, true) {
		rest = rest[1:] // crls
	}
	if len(rest) != 1 || !isSet(rest[0]) {
		return nil, fmt.Errorf("%w: SignedData signerInfos", ErrMalformed)
	}
	signers, err := children(rest[0])
	if err != nil {
		return nil, fmt.Errorf("signerInfos: %w", err)
	}
	if len(signers) != 1 {
		return nil, fmt.Errorf("%w: %d signers, want 1", ErrMalformed, len(signers))
	}
	if sd.signer, err = parseSignerInfo(signers[0]); err != nil {
		return nil, err
	}
	return sd, nil
}

func parseSignerInfo(v asn1.RawValue) (signerInfo, error) {
	var si signerInfo
	es, err := sequence(v, 5, "SignerInfo")
	if err != nil {
		return si, err
	}
	switch sid := es[1]; {
	case isSequence(sid):
		parts, err := sequence(sid, 2, "IssuerAndSerialNumber")
		if err != nil {
			return si, err
		}
		si.issuer, si.serial = parts[0].FullBytes, parts[1].FullBytes
	case is(sid, asn1.ClassContextSpecific, 0, false):
		si.subjectKeyID = sid.Bytes
	default:
		return si, fmt.Errorf("%w: SignerIdentifier", ErrMalformed)
	}
	if si.digestAlg, err = parseAlgorithm(es[2]); err != nil {
		return si, err
	}
	i := 3
	if is(es[i], asn1.ClassContextSpecific, 0, true) {
		// Signed over as a DER SET OF, not with its implicit [0] tag.
		si.signedAttrs = bytes.Clone(es[i].FullBytes)
		si.signedAttrs[0] = 0x31
		i++
	}
	if len(es) < i+2 {
		return si, fmt.Errorf("%w: SignerInfo too short", ErrMalformed)
	}
	if si.sigAlg, err = parseAlgorithm(es[i]); err != nil {
		return si, err
	}
	if si.signature, err = octets(es[i+1], "signature"); err != nil {
		return si, err
	}
	return si, nil
}

// signerCertificate finds the certificate the SignerInfo names.
func (sd *signedData) signerCertificate() (*Certificate, error) {
	for _, c := range sd.certificates {
		if sd.signer.subjectKeyID != nil {
			if bytes.Equal(c.subjectKeyID, sd.signer.subjectKeyID) {
				return c, nil
			}
			continue
		}
		var serial *big.Int
		if _, err := asn1.Unmarshal(sd.signer.serial, &serial); err != nil {
			return nil, fmt.Errorf("%w: signer serial number", ErrMalformed)
		}
		if bytes.Equal(c.rawIssuer, sd.signer.issuer) && c.serial.Cmp(serial) == 0 {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%w: signer certificate in SignedData", ErrNotFound)
}

// verify checks the signer's signed attributes against the content and its
// signature with cert's key, and returns the signature algorithm.
func (sd *signedData) verify(cert *Certificate) (signatureAlgorithm, error) {
	digest, err := hashByOID(sd.signer.digestAlg.Algorithm)
	if err != nil {
		return signatureAlgorithm{}, err
	}
	alg, err := parseSignatureAlgorithm(sd.signer.sigAlg, digest)
	if err != nil {
		return alg, err
	}
	signed := sd.content
	if sd.signer.signedAttrs != nil {
		if err := sd.checkSignedAttributes(digest); err != nil {
			return alg, err
		}
		signed = sd.signer.signedAttrs
	}
	if cert.KeyErr != nil {
		return alg, cert.KeyErr
	}
	return alg, verifySignature(cert.key, alg, signed, sd.signer.signature)
}

// checkSignedAttributes requires the content-type attribute to name the
// eContentType and the message-digest attribute to equal the content's
// digest (RFC 5652, 5.4 and 11).
func (sd *signedData) checkSignedAttributes(digest crypto.Hash) error {
	if !digest.Available() {
		return fmt.Errorf("%w: hash %v", ErrUnsupported, digest)
	}
	v, err := parseExact(sd.signer.signedAttrs)
	if err != nil {
		return fmt.Errorf("signed attributes: %w", err)
	}
	attrs, err := children(v)
	if err != nil {
		return fmt.Errorf("signed attributes: %w", err)
	}
	var sawType, sawDigest bool
	for _, a := range attrs {
		var attr struct {
			Type   asn1.ObjectIdentifier
			Values []asn1.RawValue `asn1:"set"`
		}
		if err := decode(a, &attr, "Attribute"); err != nil {
			return err
		}
		switch {
		case attr.Type.Equal(oidContentType):
			var ct asn1.ObjectIdentifier
			if sawType || len(attr.Values) != 1 || decode(attr.Values[0], &ct, "content-type attribute") != nil {
				return fmt.Errorf("%w: content-type attribute", ErrMalformed)
			}
			if !ct.Equal(sd.contentType) {
				return fmt.Errorf("%w: content-type attribute %v differs from eContentType", ErrSignature, ct)
			}
			sawType = true
		case attr.Type.Equal(oidMessageDigest):
			if sawDigest || len(attr.Values) != 1 {
				return fmt.Errorf("%w: message-digest attribute", ErrMalformed)
			}
			md, err := octets(attr.Values[0], "message-digest attribute")
			if err != nil {
				return err
			}
			h := digest.New()
			h.Write(sd.content)
			if subtle.ConstantTimeCompare(md, h.Sum(nil)) != 1 {
				return fmt.Errorf("%w: message-digest attribute differs from the content's digest", ErrSignature)
			}
			sawDigest = true
		}
	}
	if !sawType || !sawDigest {
		return fmt.Errorf("%w: signed attributes lack content-type or message-digest", ErrSignature)
	}
	return nil
}
