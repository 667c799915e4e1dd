package mrz

import (
	"testing"
	"time"
)

func TestSpecimenTD1IsValid(t *testing.T) {
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	doc, err := ParseAt(SpecimenTD1(now), now)
	if err != nil {
		t.Fatalf("specimen MRZ does not parse: %v", err)
	}
	if !doc.IsSpecimen() || doc.Format != TD1 {
		t.Fatalf("parsed as %v, specimen %v", doc.Format, doc.IsSpecimen())
	}
	if r := doc.Validate(now, Rules{AllowSpecimen: true}); len(r) != 0 {
		t.Fatalf("specimen refused under a policy that allows specimens: %v", r)
	}
}
