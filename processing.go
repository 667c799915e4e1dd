package idv

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/idv-oss/idv/schemas"
)

// The record of processing activities (GDPR art. 30(2)) IDV keeps for each
// tenant, built from the operator's register and the tenant's policy.

// TechnicalMeasures are the security measures IDV takes by construction
// (docs/design.md invariants), whatever the operator configures.
func TechnicalMeasures() []string {
	return []string{
		"Captures are sealed on the person's device to a per-session key (HPKE: ML-KEM-768+X25519, HKDF-SHA256, AES-256-GCM); storage holds ciphertext only.",
		"Session private keys are wrapped under a per-tenant, per-expiry-hour epoch key held in a separate key store; the epoch key is destroyed once its hour's sessions are wiped (crypto-shredding, backups included).",
		fmt.Sprintf("Retention is enforced by a database constraint (at most %d days) and a scheduled wipe with signed deletion receipts.", schemas.MaxRetentionDays),
		"Tenants are walled off by tenant-scoped queries, separate keys and row-level security.",
		"Only the fields the tenant's policy allows are extracted and kept; the Dutch BSN is never extracted without a legal basis.",
		"Every read of personal data, erasure, deletion, policy change and support access is recorded in an append-only, hash-chained audit log the tenant can export and verify.",
		"Webhooks are signed (Standard Webhooks, HMAC-SHA256) and carry ids and codes only; API keys are stored as hashes.",
		"Events, logs and metrics carry ids and codes only, never personal data.",
	}
}

// BuildRecord generates the record kept for tenant t from the register and
// t's policy and retention.
func BuildRecord(reg schemas.Register, tenantID, tenantName string, policy schemas.Policy, retentionDays int, now time.Time) schemas.ProcessingRecord {
	rec := schemas.ProcessingRecord{
		GeneratedAt:   now.UTC(),
		Processor:     reg.Processor,
		Controller:    schemas.RecordController{TenantID: tenantID, Name: tenantName},
		DataSubjects:  []string{"Natural persons whose identity the controller asks IDV to verify (invited by the controller to a verification session)."},
		Subprocessors: slices.Clone(reg.Subprocessors),
		Transfers:     []schemas.RecordTransfer{},
		Retention: schemas.RecordRetention{Days: retentionDays, MaxDays: schemas.MaxRetentionDays,
			Note: "Every session's personal data (captures, keys, extracted fields) is erased at most this many days after the session was created, earlier on the controller's request; deletion receipts and the audit log, which hold no personal data, are kept."},
		SecurityMeasures: append(TechnicalMeasures(), reg.Measures...),
	}
	if rec.Subprocessors == nil {
		rec.Subprocessors = []schemas.Subprocessor{}
	}
	face := slices.Contains(policy.Checks, schemas.CheckFace)
	rec.Processing = []schemas.RecordActivity{
		{Name: "collection", Description: "Receiving the document photos (and selfie frames) the person's app seals and uploads."},
		{Name: "document_check", Description: "Reading the document's machine-readable zone and checking its check digits, dates and type against the controller's policy."},
	}
	if face {
		rec.Processing = append(rec.Processing, schemas.RecordActivity{Name: "face_comparison",
			Description: "Comparing the selfie frames with the document portrait (biometric processing for identification)."})
	}
	rec.Processing = append(rec.Processing,
		schemas.RecordActivity{Name: "decision", Description: "Deciding the session from the check results and informing the controller by webhook."},
		schemas.RecordActivity{Name: "storage_and_erasure", Description: "Keeping the sealed data and the policy-allowed results until the retention ends, then erasing them."},
	)
	rec.DataCategories = []schemas.RecordData{
		{Name: "identity_document_images", Description: "Photos of the identity document, sealed; everything printed on it, including the portrait."},
		{Name: "machine_readable_zone", Description: "The document's MRZ text as read by the app, sealed."},
	}
	if face {
		rec.DataCategories = append(rec.DataCategories, schemas.RecordData{Name: "selfie_frames", Special: true,
			Description: "A short series of selfie frames and the face templates derived from them (biometric data, GDPR art. 9)."})
	}
	if fs := policy.PersonalFields(); len(fs) > 0 {
		rec.DataCategories = append(rec.DataCategories, schemas.RecordData{Name: "extracted_fields",
			Special:     slices.Contains(fs, "portrait") || slices.Contains(fs, "selfie"),
			Description: "Fields the controller's policy allows IDV to extract, keep and return: " + strings.Join(fs, ", ") + "."})
	}
	if cs := policy.Claims(); len(cs) > 0 {
		rec.DataCategories = append(rec.DataCategories, schemas.RecordData{Name: "derived_claims",
			Description: "Claims derived from the document: " + strings.Join(cs, ", ") + "."})
	}
	if reg.Processor.Country != "" && !schemas.InEEA(reg.Processor.Country) {
		rec.Transfers = append(rec.Transfers, schemas.RecordTransfer{Recipient: reg.Processor.Name,
			Country: reg.Processor.Country, Safeguard: "IDV itself runs outside the EEA: see the processing agreement"})
	}
	for _, s := range reg.Subprocessors {
		if !schemas.InEEA(s.Country) {
			rec.Transfers = append(rec.Transfers, schemas.RecordTransfer{Recipient: s.Name, Country: s.Country, Safeguard: s.TransferSafeguard})
		}
	}
	return rec
}
