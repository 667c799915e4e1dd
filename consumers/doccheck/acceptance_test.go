package doccheck

import (
	"slices"
	"testing"
	"time"

	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/schemas"
)

func TestAcceptanceReasons(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	// Dutch specimen ID card (code I, state NLD), holder born 1965-03-10.
	card, err := mrz.ParseAt("I<NLDSPECI20142999999990<<<<<8\n6503101F3108022NLD<<<<<<<<<<<8\nDE<BRUIJN<<WILLEKE<LISELOTTE<<\n", now)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		policy schemas.Policy
		want   []string
	}{
		{"no settings", schemas.Policy{}, nil},
		{"id cards accepted", schemas.Policy{DocumentTypes: []string{"passport", "id_card"}}, nil},
		{"passports only", schemas.Policy{DocumentTypes: []string{"passport"}}, []string{ReasonDocumentTypeNotAccepted}},
		{"Dutch accepted", schemas.Policy{IssuingStates: []string{"BEL", "NLD"}}, nil},
		{"Belgian only", schemas.Policy{IssuingStates: []string{"BEL"}}, []string{ReasonIssuingStateNotAccepted}},
		{"18 or over", schemas.Policy{MinimumAge: 18}, nil},
		{"61 is the holder's age", schemas.Policy{MinimumAge: 61}, nil},
		{"62 or over", schemas.Policy{MinimumAge: 62}, []string{ReasonUnderMinimumAge}},
		{"all refused", schemas.Policy{DocumentTypes: []string{"visa"}, IssuingStates: []string{"D"}, MinimumAge: 99},
			[]string{ReasonDocumentTypeNotAccepted, ReasonIssuingStateNotAccepted, ReasonUnderMinimumAge}},
	}
	for _, c := range cases {
		if got := acceptanceReasons(card, c.policy, now); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	unknownDay := *card
	unknownDay.BirthDate.Day = 0
	if got := acceptanceReasons(&unknownDay, schemas.Policy{MinimumAge: 18}, now); !slices.Equal(got, []string{ReasonAgeNotVerifiable}) {
		t.Errorf("incomplete birth date: %v", got)
	}
	if Outcome([]string{ReasonUnderMinimumAge}) != schemas.OutcomeFailed {
		t.Error("a refused document must fail the check")
	}
}

func TestMinorsAndDutchDocumentNumbers(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	card, err := mrz.ParseAt("I<NLDSPECI20142999999990<<<<<8\n6503101F3108022NLD<<<<<<<<<<<8\nDE<BRUIJN<<WILLEKE<LISELOTTE<<\n", now)
	if err != nil {
		t.Fatal(err)
	}
	born := func(y, m, d int) *mrz.Document {
		c := *card
		c.BirthDate = mrz.Date{Year: y, Month: time.Month(m), Day: d}
		return &c
	}
	numbered := func(n string) *mrz.Document {
		c := *card
		c.DocumentNumber = n
		return &c
	}
	cases := []struct {
		name   string
		doc    *mrz.Document
		policy schemas.Policy
		want   []string
	}{
		{"16 today", born(2010, 11, 25), schemas.Policy{}, nil},
		{"16 tomorrow: review", born(2010, 11, 26), schemas.Policy{}, []string{ReasonMinorConsent}},
		{"minors reviewed by choice", born(2012, 1, 1), schemas.Policy{Minors: schemas.MinorsReview}, []string{ReasonMinorConsent}},
		{"minors declined", born(2012, 1, 1), schemas.Policy{Minors: schemas.MinorsDecline}, []string{ReasonMinorNotAccepted}},
		{"under the minimum age says only that", born(2012, 1, 1), schemas.Policy{MinimumAge: 18}, []string{ReasonUnderMinimumAge}},
		{"Dutch number with O", numbered("SPECO2014"), schemas.Policy{}, []string{ReasonDocumentNumberFormat}},
		{"Dutch number ending in a letter", numbered("SPECI201X"), schemas.Policy{}, []string{ReasonDocumentNumberFormat}},
		{"Dutch number too short", numbered("SP1234"), schemas.Policy{}, []string{ReasonDocumentNumberFormat}},
		{"Dutch number of the 2014 form", numbered("NXC1B2D34"), schemas.Policy{}, nil},
	}
	for _, c := range cases {
		if got := acceptanceReasons(c.doc, c.policy, now); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	belgian := *numbered("O12")
	belgian.IssuingState = "BEL"
	if got := acceptanceReasons(&belgian, schemas.Policy{}, now); got != nil {
		t.Errorf("the Dutch number rule applied to a Belgian document: %v", got)
	}
	if Outcome([]string{ReasonMinorConsent}) != schemas.OutcomeReview || Outcome([]string{ReasonMinorNotAccepted}) != schemas.OutcomeFailed ||
		Outcome([]string{ReasonDocumentNumberFormat}) != schemas.OutcomeFailed {
		t.Error("minor consent must go to review; a declined minor and a malformed Dutch number must fail")
	}
}
