package schemas

import (
	"strings"
	"testing"
)

func TestParseSubprocessors(t *testing.T) {
	ok := `[{"id":"hetzner-fsn1","name":"Hetzner","purpose":"Hosting","country":"DE","effective_date":"2026-01-01"},
		{"id":"mail-us","name":"Mail","purpose":"Alerts","country":"US","effective_date":"2026-02-01","transfer_safeguard":"SCC"}]`
	subs, err := ParseSubprocessors([]byte(ok))
	if err != nil || len(subs) != 2 || subs[1].Effective().Month() != 2 {
		t.Fatalf("%v %+v", err, subs)
	}
	cases := map[string]string{
		`[{"id":"US","name":"n","purpose":"p","country":"DE","effective_date":"2026-01-01"}]`:                                                                                 "id",
		`[{"id":"a","name":"","purpose":"p","country":"DE","effective_date":"2026-01-01"}]`:                                                                                   "name",
		`[{"id":"a","name":"n","purpose":"p","country":"Germany","effective_date":"2026-01-01"}]`:                                                                             "country",
		`[{"id":"a","name":"n","purpose":"p","country":"US","effective_date":"2026-01-01"}]`:                                                                                  "transfer_safeguard",
		`[{"id":"a","name":"n","purpose":"p","country":"DE","effective_date":"1 Jan 2026"}]`:                                                                                  "effective_date",
		`[{"id":"a","name":"n","purpose":"p","country":"DE","effective_date":"2026-01-01","size":1}]`:                                                                         "unknown field",
		`[{"id":"a","name":"n","purpose":"p","country":"DE","effective_date":"2026-01-01"},{"id":"a","name":"n","purpose":"p","country":"DE","effective_date":"2026-01-01"}]`: "twice",
	}
	for in, want := range cases {
		if _, err := ParseSubprocessors([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error about %s", in, err, want)
		}
	}
}

// FuzzParseSubprocessors: the register is outside input; whatever it
// holds, the parser returns entries that validate or an error.
func FuzzParseSubprocessors(f *testing.F) {
	f.Add([]byte(`[{"id":"hetzner-fsn1","name":"Hetzner","purpose":"Hosting","country":"DE","effective_date":"2026-01-01"}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"id":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		subs, err := ParseSubprocessors(data)
		if err != nil {
			return
		}
		for _, s := range subs {
			if err := s.Validate(); err != nil {
				t.Fatalf("accepted an invalid entry: %v", err)
			}
		}
	})
}
