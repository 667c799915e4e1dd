package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Subprocessor is an entry of IDV's sub-processor register (GDPR art.
// 28(2) and (4); the seeds' agreement, art. 5): a third party IDV engages,
// announced to every tenant before it takes effect so that the tenant may
// object. The register is configuration (a JSON file named by
// IDV_SUBPROCESSORS_FILE), not data IDV decides on.
type Subprocessor struct {
	// ID is a stable slug, e.g. "hetzner-fsn1": lower-case letters,
	// digits and hyphens.
	ID      string `json:"id"`
	Name    string `json:"name"`
	Purpose string `json:"purpose"`
	// Country where it processes, ISO 3166-1 alpha-2 (e.g. DE).
	Country string `json:"country"`
	// EffectiveDate is the day (YYYY-MM-DD, UTC) from which it processes.
	EffectiveDate string `json:"effective_date"`
	// TransferSafeguard names the safeguard of a transfer outside the EEA
	// (GDPR ch. V: an adequacy decision, standard contractual clauses, …);
	// required for a country outside the EEA.
	TransferSafeguard string `json:"transfer_safeguard,omitempty"`
}

var (
	subprocessorID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	countryCode    = regexp.MustCompile(`^[A-Z]{2}$`)
)

// eea are the EEA states (EU 27, Iceland, Liechtenstein, Norway), ISO
// 3166-1 alpha-2; Greece is GR here (the EU writes EL).
var eea = []string{"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
	"IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "LI", "NO"}

// InEEA reports whether an ISO 3166-1 alpha-2 country is in the EEA.
func InEEA(country string) bool { return slices.Contains(eea, country) }

// Effective is the entry's effective date as midnight UTC.
func (s Subprocessor) Effective() time.Time {
	t, _ := time.Parse(time.DateOnly, s.EffectiveDate)
	return t
}

// Validate checks one entry.
func (s Subprocessor) Validate() error {
	switch {
	case !subprocessorID.MatchString(s.ID):
		return fmt.Errorf("id %q: want lower-case letters, digits and hyphens, at most 64", s.ID)
	case strings.TrimSpace(s.Name) == "" || len(s.Name) > 200:
		return fmt.Errorf("%s: name must be 1 to 200 characters", s.ID)
	case strings.TrimSpace(s.Purpose) == "" || len(s.Purpose) > 1000:
		return fmt.Errorf("%s: purpose must be 1 to 1000 characters", s.ID)
	case !countryCode.MatchString(s.Country):
		return fmt.Errorf("%s: country %q: want an ISO 3166-1 alpha-2 code such as DE", s.ID, s.Country)
	case !InEEA(s.Country) && strings.TrimSpace(s.TransferSafeguard) == "":
		return fmt.Errorf("%s: %s is outside the EEA: transfer_safeguard must name the safeguard (GDPR chapter V)", s.ID, s.Country)
	}
	if _, err := time.Parse(time.DateOnly, s.EffectiveDate); err != nil {
		return fmt.Errorf("%s: effective_date %q: want YYYY-MM-DD", s.ID, s.EffectiveDate)
	}
	return nil
}

// ParseSubprocessors reads a register file: a JSON array of entries, ids
// unique. Unknown keys are refused so that a misspelt key is not lost.
func ParseSubprocessors(data []byte) ([]Subprocessor, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var subs []Subprocessor
	if err := dec.Decode(&subs); err != nil {
		return nil, fmt.Errorf("sub-processor register: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("sub-processor register: more than one JSON value")
	}
	seen := map[string]bool{}
	for _, s := range subs {
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("sub-processor register: %w", err)
		}
		if seen[s.ID] {
			return nil, fmt.Errorf("sub-processor register: id %q twice", s.ID)
		}
		seen[s.ID] = true
	}
	if subs == nil {
		subs = []Subprocessor{}
	}
	return subs, nil
}
