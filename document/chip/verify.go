package chip

import (
	"crypto"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Input is what an app read from the chip, with what the server knows.
type Input struct {
	// SOD is EF.SOD as read.
	SOD []byte
	// DataGroups are the data group files as read (EF.DG1 is 1, EF.DG2 is
	// 2…), each starting with its tag. DG1 and DG2 are mandatory; every
	// group supplied must match its hash in the SOD.
	DataGroups map[int][]byte
	// MRZ is the machine-readable zone read optically from the same
	// document, lines separated by newlines; DG1 must equal it.
	MRZ string
	// AA is the chip's answer to a server-issued challenge; nil when active
	// authentication was not performed.
	AA *ActiveAuthentication
	// At is the time of the check, for certificate validity; required (a
	// zero time lies outside every certificate's validity).
	At time.Time
}

// ActiveStatus is the outcome of active authentication.
type ActiveStatus string

// Active authentication outcomes.
const (
	ActiveNotPerformed ActiveStatus = "not_performed"
	ActivePassed       ActiveStatus = "passed"
	ActiveFailed       ActiveStatus = "failed"
)

// Result is what Verify found. Reasons is empty when every check passed.
type Result struct {
	// Reasons are the failed checks, sorted, each once.
	Reasons []Reason
	// Passive is true when passive authentication passed: every supplied
	// data group matches the SOD, the SOD's signature verifies with a
	// Document Signer certificate valid at the time of the check, issued by
	// a trusted CSCA.
	Passive bool
	// Active is the outcome of active authentication.
	Active ActiveStatus
	// HashAlgorithm hashes the data groups, e.g. "SHA-256".
	HashAlgorithm string
	// SignatureAlgorithm signs the SOD, e.g. "RSA-PSS-SHA-256"; KeyType is
	// the Document Signer's key, e.g. "brainpoolP256r1".
	SignatureAlgorithm, KeyType string
	// DocumentSigner and CSCA are the certificates used, nil when not found.
	DocumentSigner, CSCA *Certificate
	// DataGroups lists the data groups whose hashes matched, ascending.
	DataGroups []int
	// Portrait is DG2's facial image when DG2 matched its hash.
	Portrait *Portrait
	// Details explain the reasons for operators, in words; they name
	// algorithms, certificates and data group numbers, never document
	// contents.
	Details []string
}

func (r *Result) fail(reason Reason, format string, args ...any) {
	r.Reasons = append(r.Reasons, reason)
	r.Details = append(r.Details, string(reason)+": "+fmt.Sprintf(format, args...))
}

// passiveReasons are the reasons that fail passive authentication.
var passiveReasons = []Reason{ReasonSODMalformed, ReasonDGMalformed, ReasonDGMissing, ReasonHashMismatch,
	ReasonSignatureInvalid, ReasonAlgorithmUnsupported, ReasonDSExpired, ReasonUntrustedCSCA}

// Verifier checks chip data against the operator's trust store.
type Verifier struct {
	Trust *TrustStore
}

// NewVerifier returns a Verifier trusting the CSCAs in trust.
func NewVerifier(trust *TrustStore) *Verifier { return &Verifier{Trust: trust} }

// Verify runs passive authentication, compares DG1 with the optical MRZ,
// extracts the portrait and, when the input carries one, checks active
// authentication. It never fails as a call: every problem is a reason.
func (v *Verifier) Verify(in Input) (r Result) {
	r = Result{Active: ActiveNotPerformed}
	defer r.finish()
	sod, err := ParseSOD(in.SOD)
	if err != nil {
		r.fail(ReasonSODMalformed, "%v", err)
		return r
	}
	r.HashAlgorithm = sod.HashAlgorithm.String()
	verified := v.checkDataGroups(&r, sod, in.DataGroups)
	v.checkSignature(&r, sod, in.At)
	v.checkDG1(&r, in.DataGroups[1], in.MRZ)
	if verified[2] {
		if p, err := ParsePortrait(in.DataGroups[2]); errors.Is(err, ErrPortraitUnsupported) {
			r.fail(ReasonPortraitUnsupported, "%v", err)
		} else if err != nil {
			r.fail(ReasonDGMalformed, "%v", err)
		} else {
			r.Portrait = p
		}
	}
	if in.AA != nil {
		v.checkActive(&r, in, verified)
	}
	return r
}

// finish sorts the reasons and decides Passive.
func (r *Result) finish() {
	slices.Sort(r.Reasons)
	r.Reasons = slices.Compact(r.Reasons)
	r.Passive = !slices.ContainsFunc(r.Reasons, func(x Reason) bool { return slices.Contains(passiveReasons, x) })
}

// checkDataGroups hashes every supplied group and returns those that match.
func (v *Verifier) checkDataGroups(r *Result, sod *SOD, dgs map[int][]byte) map[int]bool {
	verified := map[int]bool{}
	for _, n := range []int{1, 2} {
		if len(dgs[n]) == 0 {
			r.fail(ReasonDGMissing, "DG%d not supplied", n)
		}
	}
	numbers := make([]int, 0, len(dgs))
	for n := range dgs {
		numbers = append(numbers, n)
	}
	slices.Sort(numbers)
	for _, n := range numbers {
		b := dgs[n]
		switch {
		case len(b) == 0:
			continue
		case len(b) > MaxDataGroupBytes:
			r.fail(ReasonDGMalformed, "DG%d larger than %d bytes", n, MaxDataGroupBytes)
		case !sod.checkDataGroup(n, b):
			r.fail(ReasonHashMismatch, "DG%d does not match its hash in the SOD", n)
		default:
			verified[n] = true
			r.DataGroups = append(r.DataGroups, n)
		}
	}
	return verified
}

// checkSignature verifies the SOD's signature, the Document Signer's
// validity and its chain to a trusted CSCA.
func (v *Verifier) checkSignature(r *Result, sod *SOD, at time.Time) {
	ds, err := sod.signed.signerCertificate()
	if err != nil {
		r.fail(ReasonSODMalformed, "%v", err)
		return
	}
	r.DocumentSigner = ds
	if ds.KeyErr == nil {
		r.KeyType = ds.key.String()
	}
	alg, err := sod.signed.verify(ds)
	if alg.scheme != 0 {
		r.SignatureAlgorithm = alg.String()
	}
	switch {
	case errors.Is(err, ErrUnsupported):
		r.fail(ReasonAlgorithmUnsupported, "%v", err)
	case errors.Is(err, ErrMalformed):
		r.fail(ReasonSODMalformed, "%v", err)
	case err != nil:
		r.fail(ReasonSignatureInvalid, "%v", err)
	}
	if !ds.validAt(at) {
		r.fail(ReasonDSExpired, "Document Signer valid %s to %s", ds.NotBefore.Format(time.DateOnly), ds.NotAfter.Format(time.DateOnly))
	}
	if v.Trust == nil {
		r.fail(ReasonUntrustedCSCA, "no trust store configured")
		return
	}
	csca, err := v.Trust.verifyChain(ds, at)
	if err != nil {
		r.fail(ReasonUntrustedCSCA, "%v", err)
		return
	}
	r.CSCA = csca
}

// checkDG1 compares DG1's MRZ with the optical one.
func (v *Verifier) checkDG1(r *Result, dg1 []byte, optical string) {
	if len(dg1) == 0 {
		return // reported as missing
	}
	mrz, err := ParseDG1(dg1)
	if err != nil {
		r.fail(ReasonDGMalformed, "%v", err)
		return
	}
	if !sameMRZ(mrz, optical) {
		r.fail(ReasonDG1MRZMismatch, "DG1 differs from the optical MRZ")
	}
}

// checkActive verifies active authentication with the DG15 key, which must
// itself have matched its hash in the SOD.
func (v *Verifier) checkActive(r *Result, in Input, verified map[int]bool) {
	r.Active = ActiveFailed
	if len(in.AA.Challenge) == 0 {
		r.fail(ReasonAANoChallenge, "active authentication without a server-issued challenge")
		return
	}
	if !verified[15] {
		r.fail(ReasonAAFailed, "DG15 absent or not matching the SOD")
		return
	}
	key, err := parseDG15(in.DataGroups[15])
	if err != nil {
		r.fail(ReasonAAFailed, "%v", err)
		return
	}
	var ecHash crypto.Hash
	if verified[14] {
		if ecHash, err = parseDG14AAHash(in.DataGroups[14]); err != nil {
			r.fail(ReasonAAFailed, "%v", err)
			return
		}
	}
	if err := verifyActive(key, ecHash, *in.AA); err != nil {
		r.fail(ReasonAAFailed, "%v", err)
		return
	}
	r.Active = ActivePassed
}
