package chip

// Reason is a stable, machine-readable code saying why chip data failed a
// check. Reasons travel in events and webhooks, so they never carry document
// contents.
type Reason string

// Reasons Verify reports.
const (
	// ReasonSODMalformed: EF.SOD is not a CMS SignedData carrying an LDS
	// security object, or exceeds the size cap.
	ReasonSODMalformed Reason = "chip_sod_malformed"
	// ReasonDGMalformed: a data group cannot be parsed (DG1, DG2, DG15).
	ReasonDGMalformed Reason = "chip_dg_malformed"
	// ReasonDGMissing: DG1 or DG2, mandatory on every eMRTD, was not supplied.
	ReasonDGMissing Reason = "chip_dg_missing"
	// ReasonHashMismatch: a supplied data group's hash differs from the one
	// in the security object, or the security object has none for it.
	ReasonHashMismatch Reason = "chip_hash_mismatch"
	// ReasonSignatureInvalid: the signed attributes do not match the
	// security object, or the Document Signer's signature does not verify.
	ReasonSignatureInvalid Reason = "chip_signature_invalid"
	// ReasonAlgorithmUnsupported: a hash, signature algorithm or curve the
	// package cannot verify.
	ReasonAlgorithmUnsupported Reason = "chip_algorithm_unsupported"
	// ReasonDSExpired: the Document Signer certificate is not valid at the
	// time of the check (expired or not yet valid).
	ReasonDSExpired Reason = "chip_ds_expired"
	// ReasonUntrustedCSCA: no CSCA in the trust store issued and signed the
	// Document Signer certificate, or that CSCA is not valid at the time of
	// the check.
	ReasonUntrustedCSCA Reason = "chip_untrusted_csca"
	// ReasonDG1MRZMismatch: the MRZ in DG1 differs from the MRZ the caller
	// supplied (read optically from the document).
	ReasonDG1MRZMismatch Reason = "chip_dg1_mrz_mismatch"
	// ReasonAAFailed: the active authentication signature does not verify
	// with the DG15 key over the challenge, or DG15 is absent or untrusted.
	ReasonAAFailed Reason = "chip_aa_failed"
	// ReasonAANoChallenge: an active authentication signature came without
	// the server-issued challenge it must answer.
	ReasonAANoChallenge Reason = "chip_aa_no_challenge"
	// ReasonPortraitUnsupported: the DG2 portrait is JPEG 2000 (or another
	// format the package does not return).
	ReasonPortraitUnsupported Reason = "chip_portrait_unsupported"
)
