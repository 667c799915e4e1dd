package mrz

import (
	"bytes"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	valid := func() *Document {
		return &Document{Format: TD3, DocumentCode: "P", IssuingState: "BEL", Nationality: "BEL",
			DocumentNumber: "EH123456", BirthDate: Date{1990, time.January, 2}, ExpiryDate: Date{2030, time.March, 4}, Sex: "F"}
	}
	with := func(f func(d *Document)) *Document { d := valid(); f(d); return d }
	tests := []struct {
		name  string
		doc   *Document
		rules Rules
		want  []Reason
	}{
		{"valid", valid(), Rules{}, nil},
		{"expires today", with(func(d *Document) { d.ExpiryDate = Date{2026, time.June, 15} }), Rules{}, nil},
		{"expired yesterday", with(func(d *Document) { d.ExpiryDate = Date{2026, time.June, 14} }), Rules{}, []Reason{ReasonExpired}},
		{"born tomorrow", with(func(d *Document) { d.BirthDate = Date{2026, time.June, 16} }), Rules{}, []Reason{ReasonBirthInFuture}},
		{"birth year unknown", with(func(d *Document) { d.BirthDate = Date{} }), Rules{}, nil},
		{"expires before birth", with(func(d *Document) {
			d.BirthDate = Date{2021, time.May, 1}
			d.ExpiryDate = Date{2020, time.May, 1}
		}), Rules{}, []Reason{ReasonExpired, ReasonExpiryBeforeBirth}},
		{"Utopia", with(func(d *Document) { d.IssuingState = "UTO" }), Rules{}, []Reason{ReasonSpecimen}},
		{"Utopian national", with(func(d *Document) { d.Nationality = "UTO" }), Rules{}, []Reason{ReasonSpecimen}},
		{"Utopia allowed", with(func(d *Document) { d.IssuingState = "UTO" }), Rules{AllowSpecimen: true}, nil},
		{"Dutch specimen", with(func(d *Document) {
			d.IssuingState, d.DocumentNumber = "NLD", "SPECI2021"
		}), Rules{}, []Reason{ReasonSpecimen}},
		{"SPECI number not Dutch", with(func(d *Document) { d.DocumentNumber = "SPECI2021" }), Rules{}, nil},
		{"Dutch, real number", with(func(d *Document) { d.IssuingState, d.DocumentNumber = "NLD", "NX6P97571" }), Rules{}, nil},
	}
	for _, tt := range tests {
		if got := tt.doc.Validate(checkDay, tt.rules); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Validate = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestValidateSpecimens(t *testing.T) {
	t.Parallel()
	for _, text := range []string{specimenTD1, specimenTD2, specimenTD3, specimenMRVA, specimenMRVB, specimenNLD2014, specimenNLD2021, specimenNLDPassport} {
		d, err := ParseAt(text, checkDay)
		if err != nil {
			t.Fatalf("ParseAt: %v", err)
		}
		got := d.Validate(checkDay, Rules{})
		if !contains(got, ReasonSpecimen) {
			t.Errorf("%s specimen: Validate = %v, want %s", d.Format, got, ReasonSpecimen)
		}
		if contains(d.Validate(checkDay, Rules{AllowSpecimen: true}), ReasonSpecimen) {
			t.Errorf("%s specimen refused although allowed", d.Format)
		}
	}
	// The Utopian specimens expired in 2012.
	d, _ := ParseAt(specimenTD3, checkDay)
	if got := d.Validate(checkDay, Rules{AllowSpecimen: true}); !reflect.DeepEqual(got, []Reason{ReasonExpired}) {
		t.Errorf("TD3 specimen: Validate = %v, want only %s", got, ReasonExpired)
	}
}

func contains(rs []Reason, r Reason) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// TestDocumentRedacted: printing or logging a Document, by value or by
// pointer, shows none of its contents, and the BSN is out of reach of
// reflection-free copying.
func TestDocumentRedacted(t *testing.T) {
	t.Parallel()
	d, err := ParseAt(specimenNLDPassport, checkDay)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("parsed", "doc", d, "value", *d)
	out := fmt.Sprintf("%v %+v %#v %s %v %+v", d, d, d, d, *d, *d) + buf.String()
	for _, secret := range []string{"BRUIJN", "WILLEKE", "SPECI2014", "999999990", "1965", "NLD"} {
		if strings.Contains(out, secret) {
			t.Errorf("formatted Document shows %q: %s", secret, out)
		}
	}
	if !strings.Contains(out, "TD3") {
		t.Errorf("formatted Document does not even name its format: %s", out)
	}
	if d.PersonalNumber != "" || d.Optional1 != "" {
		t.Errorf("BSN leaked into an exported field")
	}
}
