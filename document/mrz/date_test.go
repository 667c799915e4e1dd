package mrz

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	t.Parallel()
	today := Date{2026, time.June, 15}
	tests := []struct {
		in   string
		kind dateKind
		want Date
		ok   bool
	}{
		{"740812", birthDate, Date{1974, time.August, 12}, true},
		{"260615", birthDate, Date{2026, time.June, 15}, true}, // born today
		{"260616", birthDate, Date{1926, time.June, 16}, true}, // tomorrow: a century back
		{"000229", birthDate, Date{2000, time.February, 29}, true},
		{"010229", birthDate, Date{}, false},
		{"740230", birthDate, Date{}, false},
		{"741301", birthDate, Date{}, false},
		{"740001", birthDate, Date{}, false},
		{"740800", birthDate, Date{}, false},
		{"740431", birthDate, Date{}, false},
		{"74<<<<", birthDate, Date{Year: 1974}, true},
		{"2607<<", birthDate, Date{Year: 1926, Month: time.July}, true},
		{"2606<<", birthDate, Date{Year: 2026, Month: time.June}, true},
		{"<<0812", birthDate, Date{Month: time.August, Day: 12}, true},
		{"<<0229", birthDate, Date{Month: time.February, Day: 29}, true},
		{"<<0230", birthDate, Date{}, false},
		{"<<<<<<", birthDate, Date{}, true},
		{"7<0812", birthDate, Date{}, false},
		{"74081", birthDate, Date{}, false},
		{"991231", expiryDate, Date{2099, time.December, 31}, true},
		{"120415", expiryDate, Date{2012, time.April, 15}, true},
		{"300101", expiryDate, Date{2030, time.January, 1}, true},
		{"12<<15", expiryDate, Date{}, false},
		{"<<<<<<", expiryDate, Date{}, false},
	}
	for _, tt := range tests {
		got, ok := parseDate(tt.in, tt.kind, today)
		if ok != tt.ok || got != tt.want {
			t.Errorf("parseDate(%q, %v) = %v, %v; want %v, %v", tt.in, tt.kind, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDateOrder(t *testing.T) {
	t.Parallel()
	today := Date{2026, time.June, 15}
	tests := []struct {
		d             Date
		after, before bool
	}{
		{Date{2026, time.June, 16}, true, false},
		{Date{2026, time.June, 15}, false, false},
		{Date{2026, time.June, 14}, false, true},
		{Date{Year: 2027}, true, false},
		{Date{Year: 2026}, false, false}, // could be either side
		{Date{Year: 2025}, false, true},
		{Date{Year: 2026, Month: time.July}, true, false},
		{Date{Year: 2026, Month: time.June}, false, false},
		{Date{Month: time.December, Day: 31}, false, false}, // year unknown
	}
	for _, tt := range tests {
		if got := tt.d.After(today); got != tt.after {
			t.Errorf("%v.After(today) = %v", tt.d, got)
		}
		if got := tt.d.Before(today); got != tt.before {
			t.Errorf("%v.Before(today) = %v", tt.d, got)
		}
	}
	if c := (Date{2026, time.June, 15}).Compare(today); c != 0 {
		t.Errorf("Compare equal = %d", c)
	}
	if c := (Date{2025, time.December, 31}).Compare(today); c != -1 {
		t.Errorf("Compare earlier = %d", c)
	}
	if got := DateOf(time.Date(2026, 6, 15, 23, 30, 0, 0, time.FixedZone("x", -3600))); got != today {
		t.Errorf("DateOf = %v, want the date in the time's own zone", got)
	}
	if s := (Date{Year: 1974}).String(); s != "1974-00-00" {
		t.Errorf("String = %q", s)
	}
}
