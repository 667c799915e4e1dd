package doccheck

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/schemas"
)

// extractFields takes from the MRZ only the fields the tenant's policy
// allows (docs/design.md invariant 4): nothing else is ever kept. Derived claims
// (age_over_16, age_over_18, document_valid) are preferred by policies
// because they reveal less. A Dutch BSN comes out only as the field bsn,
// and only when the policy names the law that allows processing it
// (bsnBasis non-empty; UAVG art. 46): mrz keeps it apart from the personal
// number. Fields the MRZ does not carry (birth_place, issue_date, address,
// …) are absent.
func extractFields(doc *mrz.Document, allowed []string, bsnBasis string, valid bool, now time.Time) map[string]any {
	all := map[string]any{
		"document_type":   doc.DocumentCode,
		"issuing_country": doc.IssuingState,
		"document_number": doc.DocumentNumber,
		"nationality":     doc.Nationality,
		"sex":             doc.Sex,
		"expiry_date":     isoDate(doc.ExpiryDate),
		"document_valid":  valid,
	}
	if name := fullName(doc); name != "" {
		all["full_name"] = name
	}
	if doc.PersonalNumber != "" {
		all["personal_number"] = doc.PersonalNumber
	}
	if bsn, ok := doc.BSN(); ok && strings.TrimSpace(bsnBasis) != "" {
		all[schemas.FieldBSN] = bsn
	}
	if doc.BirthDate.IsComplete() {
		all["birth_date"] = isoDate(doc.BirthDate)
		today := mrz.DateOf(now)
		all["age_over_16"] = !birthdayAfter(doc.BirthDate, 16, today)
		all["age_over_18"] = !birthdayAfter(doc.BirthDate, 18, today)
	}
	out := map[string]any{}
	for name, v := range all {
		if slices.Contains(allowed, name) && v != "" {
			out[name] = v
		}
	}
	return out
}

// birthdayAfter reports whether the years-th birthday of birth falls after
// today, i.e. the person is not yet that old.
func birthdayAfter(birth mrz.Date, years int, today mrz.Date) bool {
	return mrz.Date{Year: birth.Year + years, Month: birth.Month, Day: birth.Day}.After(today)
}

func fullName(doc *mrz.Document) string {
	return strings.TrimSpace(strings.Join(append(slices.Clone(doc.GivenNames), doc.Surname), " "))
}

func isoDate(d mrz.Date) string {
	if !d.IsComplete() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// sealFields seals the extracted fields to the session's public key; nil
// when there are none.
func sealFields(key *vault.SessionKey, sessionID uuid.UUID, fields map[string]any) ([]byte, error) {
	if len(fields) == 0 {
		return nil, nil
	}
	plain, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("doccheck: encode fields: %w", err)
	}
	defer clear(plain)
	sealed, err := vault.Seal(key.PublicKey(), vault.FieldsInfo(sessionID, schemas.CheckDocument), plain)
	if err != nil {
		return nil, fmt.Errorf("doccheck: seal fields: %w", err)
	}
	return sealed, nil
}
