package chip

import (
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Size caps for trust material the operator supplies.
const (
	// MaxMasterListBytes caps an ICAO master list file (the ICAO PKD's is
	// about 1 MiB).
	MaxMasterListBytes = 16 << 20
	// maxTrustFileBytes caps one PEM or DER file in a trust directory.
	maxTrustFileBytes = 1 << 20
)

var oidCSCAMasterList = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 2}

// TrustStore holds the Country Signing CA certificates the operator trusts.
// It is read-only once built and safe for concurrent use.
type TrustStore struct {
	cscas []*Certificate
}

// NewTrustStore trusts the given CSCA certificates.
func NewTrustStore(cscas ...*Certificate) *TrustStore {
	return &TrustStore{cscas: cscas}
}

// Len is the number of trusted CSCA certificates.
func (t *TrustStore) Len() int { return len(t.cscas) }

// LoadTrustDir trusts every certificate in the directory's files: PEM
// (any number of CERTIFICATE blocks), a single DER certificate, or an ICAO
// master list (.ml, read with ParseMasterList). The operator vouches for
// what is there, so a master list's own signature is not required here
// (MasterList.VerifySigner checks it). A file that is none of these is an
// error rather than skipped: a broken file must not silently narrow trust.
func LoadTrustDir(dir string) (*TrustStore, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("chip: trust directory: %w", err)
	}
	t := &TrustStore{}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		certs, err := readTrustFile(path)
		if err != nil {
			return nil, fmt.Errorf("chip: trust file %s: %w", e.Name(), err)
		}
		t.cscas = append(t.cscas, certs...)
	}
	return t, nil
}

func readTrustFile(path string) ([]*Certificate, error) {
	limit := int64(maxTrustFileBytes)
	if strings.EqualFold(filepath.Ext(path), ".ml") {
		limit = MaxMasterListBytes
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, ErrTooLarge
	}
	if strings.EqualFold(filepath.Ext(path), ".ml") {
		ml, err := ParseMasterList(b)
		if err != nil {
			return nil, err
		}
		return ml.CSCAs, nil
	}
	if !strings.Contains(string(b), "-----BEGIN") {
		c, err := ParseCertificate(b)
		if err != nil {
			return nil, err
		}
		return []*Certificate{c}, nil
	}
	var out []*Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no CERTIFICATE block", ErrNotFound)
	}
	return out, nil
}

// verifyChain finds a trusted CSCA, valid at t, whose key signed ds.
func (t *TrustStore) verifyChain(ds *Certificate, at time.Time) (*Certificate, error) {
	var errs []error
	for _, csca := range t.cscas {
		if !ds.mayHaveIssued(csca) {
			continue
		}
		if err := ds.checkSignatureFrom(csca); err != nil {
			errs = append(errs, err)
			continue
		}
		if !csca.validAt(at) {
			errs = append(errs, fmt.Errorf("CSCA %q not valid at the time of the check", csca.Subject.String()))
			continue
		}
		return csca, nil
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("%w: no trusted CSCA named %q", ErrNotFound, ds.Issuer.String())
	}
	return nil, errors.Join(errs...)
}

// MasterList is an ICAO CSCA master list (ICAO 9303-12, 9): CMS SignedData
// whose content is a SET of CSCA certificates.
type MasterList struct {
	CSCAs []*Certificate
	// Skipped counts the list's certificates that did not parse: they are
	// left out of CSCAs, which only narrows trust.
	Skipped int
	signed  *signedData
}

// ParseMasterList reads a master list file. It does not verify the list's
// signature: VerifySigner does.
func ParseMasterList(b []byte) (*MasterList, error) {
	return parseCapped("master list", b, MaxMasterListBytes, parseMasterList)
}

func parseMasterList(b []byte) (*MasterList, error) {
	sd, es, err := parseSignedContent(b, oidCSCAMasterList, 2, "CscaMasterList")
	if err != nil {
		return nil, err
	}
	if !isSet(es[1]) {
		return nil, fmt.Errorf("%w: certList is not a SET", ErrMalformed)
	}
	certs, err := children(es[1])
	if err != nil {
		return nil, err
	}
	ml := &MasterList{signed: sd}
	for _, c := range certs {
		cert, err := parseCertificate(c.FullBytes)
		if err != nil {
			ml.Skipped++
			continue
		}
		ml.CSCAs = append(ml.CSCAs, cert)
	}
	return ml, nil
}

// VerifySigner checks the master list's signature and that its signer's
// certificate was issued by a CSCA in trust, valid at t: the operator's
// existing trust store, typically the CSCA of the country that publishes the
// list.
func (ml *MasterList) VerifySigner(trust *TrustStore, at time.Time) error {
	signer, err := ml.signed.signerCertificate()
	if err != nil {
		return fmt.Errorf("chip: master list signer: %w", err)
	}
	if _, err := ml.signed.verify(signer); err != nil {
		return fmt.Errorf("chip: master list signature: %w", err)
	}
	if !signer.validAt(at) {
		return fmt.Errorf("chip: master list signer certificate not valid at %s", at.Format(time.DateOnly))
	}
	if _, err := trust.verifyChain(signer, at); err != nil {
		return fmt.Errorf("chip: master list signer: %w", err)
	}
	return nil
}
