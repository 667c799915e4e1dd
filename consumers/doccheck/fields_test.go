package doccheck

import (
	"testing"
	"time"

	"github.com/idv-oss/idv/document/mrz"
)

func TestExtractFieldsKeepsOnlyWhatThePolicyAllows(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	// Dutch ID card, pre-2021 model, with a BSN in the optional data.
	text := "I<NLDSPECI20142999999990<<<<<8\n6503101F3108022NLD<<<<<<<<<<<8\nDE<BRUIJN<<WILLEKE<LISELOTTE<<\n"
	doc, err := mrz.ParseAt(text, now)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	cases := []struct {
		allowed []string
		want    map[string]any
	}{
		{nil, map[string]any{}},
		{[]string{"age_over_18", "document_valid"}, map[string]any{"age_over_18": true, "document_valid": true}},
		{[]string{"full_name", "birth_date", "document_number"},
			map[string]any{"full_name": "WILLEKE LISELOTTE DE BRUIJN", "birth_date": "1965-03-10", "document_number": "SPECI2014"}},
		{[]string{"personal_number", "address", "birth_place", "email"}, map[string]any{}}, // BSN never; not in an MRZ
	}
	for _, c := range cases {
		got := extractFields(doc, c.allowed, "", true, now)
		if len(got) != len(c.want) {
			t.Errorf("allowed %v: got %v, want %v", c.allowed, got, c.want)
			continue
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("allowed %v: %s = %v, want %v", c.allowed, k, got[k], v)
			}
		}
	}
	for _, v := range extractFields(doc, []string{"full_name", "sex", "birth_date", "nationality", "personal_number",
		"document_number", "document_type", "expiry_date", "issuing_country", "bsn"}, "", true, now) {
		if s, ok := v.(string); ok && s == "999999990" {
			t.Fatal("the BSN came out")
		}
	}
}

func TestBSNOnlyWithALegalBasis(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	doc, err := mrz.ParseAt("I<NLDSPECI20142999999990<<<<<8\n6503101F3108022NLD<<<<<<<<<<<8\nDE<BRUIJN<<WILLEKE<LISELOTTE<<\n", now)
	if err != nil {
		t.Fatal(err)
	}
	if got := extractFields(doc, []string{"bsn"}, "Wwft art. 33", true, now); got["bsn"] != "999999990" || len(got) != 1 {
		t.Fatalf("bsn allowed with a legal basis: %v", got)
	}
	for _, basis := range []string{"", "  "} {
		if got := extractFields(doc, []string{"bsn", "personal_number"}, basis, true, now); len(got) != 0 {
			t.Fatalf("legal basis %q: %v", basis, got)
		}
	}
}

func TestAgeClaims(t *testing.T) {
	birth := mrz.Date{Year: 2008, Month: time.November, Day: 26}
	for today, want := range map[mrz.Date]bool{
		{Year: 2026, Month: time.November, Day: 25}: false, // the day before the 18th birthday
		{Year: 2026, Month: time.November, Day: 26}: true,
		{Year: 2027, Month: time.January, Day: 1}:   true,
	} {
		if got := !birthdayAfter(birth, 18, today); got != want {
			t.Errorf("on %v: over 18 = %v, want %v", today, got, want)
		}
	}
}
