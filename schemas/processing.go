package schemas

import (
	"fmt"
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
	p("\n## Retention\n\n%s (never more than %d). %s\n", days(r.Retention.Days), r.Retention.MaxDays, r.Retention.Note)
	p("\n## Technical and organisational security measures\n\n")
	for _, m := range r.SecurityMeasures {
		p("- %s\n", mdText(m))
	}
	return b.String()
}

// days is n days in words: "1 day", "7 days".
func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
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
