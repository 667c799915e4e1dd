package schemas

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Processor is who IDV's operator is, as configuration says (IDV_PROCESSOR_…):
// the processor named in a record of processing.
type Processor struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Contact string `json:"contact"`     // where a controller asks about its processing
	DPO     string `json:"dpo_contact"` // data protection officer's contact; "" when none is appointed
	// Country where IDV itself (API, database, storage) runs, ISO 3166-1 alpha-2.
	Country string `json:"country"`
}

// Register is IDV's processor configuration: its identity and its
// sub-processors. The records of processing and the sub-processor
// announcements are generated from it.
type Register struct {
	Processor     Processor
	Subprocessors []Subprocessor
	// Measures are the organisational security measures the operator
	// declares (IDV_SECURITY_MEASURES_FILE); the technical ones IDV itself
	// takes are listed from the code (TechnicalMeasures).
	Measures []string
}

// Validate checks that the processor is named well enough for a record.
func (r Register) Validate() error {
	var missing []string
	if strings.TrimSpace(r.Processor.Name) == "" {
		missing = append(missing, "IDV_PROCESSOR_NAME")
	}
	if strings.TrimSpace(r.Processor.Contact) == "" {
		missing = append(missing, "IDV_PROCESSOR_CONTACT")
	}
	if !countryCode.MatchString(r.Processor.Country) {
		missing = append(missing, "IDV_PROCESSOR_COUNTRY (ISO 3166-1 alpha-2)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("processor configuration incomplete: %s", strings.Join(missing, ", "))
	}
	return nil
}

// Subprocessor returns the register's entry of that id.
func (r Register) Subprocessor(id string) (Subprocessor, bool) {
	for _, s := range r.Subprocessors {
		if s.ID == id {
			return s, true
		}
	}
	return Subprocessor{}, false
}

// Record of processing (GDPR art. 30(2)): kept by the processor for each
// controller it processes for.
type ProcessingRecord struct {
	GeneratedAt      time.Time        `json:"generated_at"`
	Processor        Processor        `json:"processor"`
	Controller       RecordController `json:"controller"`
	Processing       []RecordActivity `json:"categories_of_processing"`
	DataCategories   []RecordData     `json:"categories_of_personal_data"`
	DataSubjects     []string         `json:"categories_of_data_subjects"`
	Subprocessors    []Subprocessor   `json:"subprocessors"`
	Transfers        []RecordTransfer `json:"transfers_outside_eea"`
	Retention        RecordRetention  `json:"retention"`
	SecurityMeasures []string         `json:"security_measures"`
}

// RecordController is the tenant the record is kept for.
type RecordController struct {
	TenantID string `json:"tenant_id"`
	Name     string `json:"name"`
}

// RecordActivity is one category of processing.
type RecordActivity struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// RecordData is one category of personal data.
type RecordData struct {
	Name        string `json:"name"`
	Special     bool   `json:"special_category"` // GDPR art. 9 (biometric data for identification)
	Description string `json:"description"`
}

// RecordTransfer is a transfer outside the EEA.
type RecordTransfer struct {
	Recipient string `json:"recipient"`
	Country   string `json:"country"`
	Safeguard string `json:"safeguard"`
}

// RecordRetention is how long personal data is kept.
type RecordRetention struct {
	Days    int    `json:"days"`
	MaxDays int    `json:"max_days"`
	Note    string `json:"note"`
}

// TechnicalMeasures are the security measures IDV takes by construction
// (docs/design.md invariants), whatever the operator configures.
func TechnicalMeasures() []string {
	return []string{
		"Captures are sealed on the person's device to a per-session key (HPKE: ML-KEM-768+X25519, HKDF-SHA256, AES-256-GCM); storage holds ciphertext only.",
		"Session private keys are wrapped under a per-tenant, per-expiry-hour epoch key held in a separate key store; the epoch key is destroyed once its hour's sessions are wiped (crypto-shredding, backups included).",
		fmt.Sprintf("Retention is enforced by a database constraint (at most %d days) and a scheduled wipe with signed deletion receipts.", MaxRetentionDays),
		"Tenants are walled off by tenant-scoped queries, separate keys and row-level security.",
		"Only the fields the tenant's policy allows are extracted and kept; the Dutch BSN is never extracted without a legal basis.",
		"Every read of personal data, erasure, deletion, policy change and support access is recorded in an append-only, hash-chained audit log the tenant can export and verify.",
		"Webhooks are signed (Standard Webhooks, HMAC-SHA256) and carry ids and codes only; API keys are stored as hashes.",
		"Events, logs and metrics carry ids and codes only, never personal data.",
	}
}

// BuildRecord generates the record kept for tenant t from the register and
// t's policy and retention.
func BuildRecord(reg Register, tenantID, tenantName string, policy Policy, retentionDays int, now time.Time) ProcessingRecord {
	rec := ProcessingRecord{
		GeneratedAt:   now.UTC(),
		Processor:     reg.Processor,
		Controller:    RecordController{TenantID: tenantID, Name: tenantName},
		DataSubjects:  []string{"Natural persons whose identity the controller asks IDV to verify (invited by the controller to a verification session)."},
		Subprocessors: slices.Clone(reg.Subprocessors),
		Transfers:     []RecordTransfer{},
		Retention: RecordRetention{Days: retentionDays, MaxDays: MaxRetentionDays,
			Note: "Every session's personal data (captures, keys, extracted fields) is erased at most this many days after the session was created, earlier on the controller's request; deletion receipts and the audit log, which hold no personal data, are kept."},
		SecurityMeasures: append(TechnicalMeasures(), reg.Measures...),
	}
	if rec.Subprocessors == nil {
		rec.Subprocessors = []Subprocessor{}
	}
	face := slices.Contains(policy.Checks, CheckFace)
	rec.Processing = []RecordActivity{
		{"collection", "Receiving the document photos (and selfie frames) the person's app seals and uploads."},
		{"document_check", "Reading the document's machine-readable zone and checking its check digits, dates and type against the controller's policy."},
	}
	if face {
		rec.Processing = append(rec.Processing, RecordActivity{"face_comparison",
			"Comparing the selfie frames with the document portrait (biometric processing for identification)."})
	}
	rec.Processing = append(rec.Processing,
		RecordActivity{"decision", "Deciding the session from the check results and informing the controller by webhook."},
		RecordActivity{"storage_and_erasure", "Keeping the sealed data and the policy-allowed results until the retention ends, then erasing them."},
	)
	rec.DataCategories = []RecordData{
		{Name: "identity_document_images", Description: "Photos of the identity document, sealed; everything printed on it, including the portrait."},
		{Name: "machine_readable_zone", Description: "The document's MRZ text as read by the app, sealed."},
	}
	if face {
		rec.DataCategories = append(rec.DataCategories, RecordData{Name: "selfie_frames", Special: true,
			Description: "A short series of selfie frames and the face templates derived from them (biometric data, GDPR art. 9)."})
	}
	if fs := policy.PersonalFields(); len(fs) > 0 {
		rec.DataCategories = append(rec.DataCategories, RecordData{Name: "extracted_fields",
			Special:     slices.Contains(fs, "portrait") || slices.Contains(fs, "selfie"),
			Description: "Fields the controller's policy allows IDV to extract, keep and return: " + strings.Join(fs, ", ") + "."})
	}
	if cs := policy.Claims(); len(cs) > 0 {
		rec.DataCategories = append(rec.DataCategories, RecordData{Name: "derived_claims",
			Description: "Claims derived from the document: " + strings.Join(cs, ", ") + "."})
	}
	if reg.Processor.Country != "" && !InEEA(reg.Processor.Country) {
		rec.Transfers = append(rec.Transfers, RecordTransfer{Recipient: reg.Processor.Name,
			Country: reg.Processor.Country, Safeguard: "IDV itself runs outside the EEA: see the processing agreement"})
	}
	for _, s := range reg.Subprocessors {
		if !InEEA(s.Country) {
			rec.Transfers = append(rec.Transfers, RecordTransfer{Recipient: s.Name, Country: s.Country, Safeguard: s.TransferSafeguard})
		}
	}
	return rec
}

// Markdown renders the record for people, in the order of art. 30(2).
func (r ProcessingRecord) Markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Record of processing activities (GDPR art. 30(2))\n\n")
	p("Generated %s for controller **%s** (tenant `%s`).\n\n", r.GeneratedAt.Format(time.RFC3339), mdText(r.Controller.Name), r.Controller.TenantID)
	p("## Processor\n\n")
	p("- Name: %s\n- Address: %s\n- Contact: %s\n", mdText(r.Processor.Name), mdText(orNone(r.Processor.Address)), mdText(r.Processor.Contact))
	p("- Data protection officer: %s\n- Processing country: %s\n\n", mdText(orNone(r.Processor.DPO)), r.Processor.Country)
	p("## Categories of processing\n\n")
	for _, a := range r.Processing {
		p("- **%s**: %s\n", a.Name, a.Description)
	}
	p("\n## Categories of personal data\n\n")
	for _, d := range r.DataCategories {
		special := ""
		if d.Special {
			special = " *(special category, art. 9)*"
		}
		p("- **%s**%s: %s\n", d.Name, special, d.Description)
	}
	p("\n## Categories of data subjects\n\n")
	for _, s := range r.DataSubjects {
		p("- %s\n", s)
	}
	p("\n## Sub-processors\n\n")
	if len(r.Subprocessors) == 0 {
		p("None.\n")
	} else {
		p("| Name | Purpose | Country | Effective |\n|---|---|---|---|\n")
		for _, s := range r.Subprocessors {
			p("| %s | %s | %s | %s |\n", mdCell(s.Name), mdCell(s.Purpose), s.Country, s.EffectiveDate)
		}
	}
	p("\n## Transfers outside the EEA\n\n")
	if len(r.Transfers) == 0 {
		p("None.\n")
	}
	for _, t := range r.Transfers {
		p("- %s to %s; safeguard: %s\n", mdText(t.Recipient), t.Country, mdText(t.Safeguard))
	}
	p("\n## Retention\n\n%d days (never more than %d). %s\n", r.Retention.Days, r.Retention.MaxDays, r.Retention.Note)
	p("\n## Technical and organisational security measures\n\n")
	for _, m := range r.SecurityMeasures {
		p("- %s\n", mdText(m))
	}
	return b.String()
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "none given"
	}
	return s
}

// mdText keeps configured text on one line; mdCell also keeps it in its
// table cell.
func mdText(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func mdCell(s string) string { return strings.ReplaceAll(mdText(s), "|", `\|`) }
