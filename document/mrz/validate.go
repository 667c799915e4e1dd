package mrz

import "time"

// Rules are the tenant's instructions that bear on a document.
type Rules struct {
	// AllowSpecimen accepts specimen documents, as a development tenant
	// does; otherwise they are refused with ReasonSpecimen.
	AllowSpecimen bool
}

// Validate judges a parsed document on the day of now (in now's location):
// it returns the reasons to refuse it, in a fixed order, or none.
func (d *Document) Validate(now time.Time, rules Rules) []Reason {
	today := DateOf(now)
	var reasons []Reason
	if d.ExpiryDate.Before(today) {
		reasons = append(reasons, ReasonExpired)
	}
	if d.BirthDate.After(today) {
		reasons = append(reasons, ReasonBirthInFuture)
	}
	if d.ExpiryDate.IsComplete() && d.BirthDate.After(d.ExpiryDate) {
		reasons = append(reasons, ReasonExpiryBeforeBirth)
	}
	if !rules.AllowSpecimen && d.IsSpecimen() {
		reasons = append(reasons, ReasonSpecimen)
	}
	return reasons
}
