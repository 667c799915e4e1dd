package mrz

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics; a refusal is an *Error with a known reason
// and a message that quotes nothing; an acceptance is consistent, meaning
// the document written back with freshly computed check digits matches the
// input character for character outside the name (whose filler runs Parse
// normalises) and parses to the same document.
func FuzzParse(f *testing.F) {
	// The seed corpus is in testdata/fuzz/FuzzParse: the specimens.
	f.Fuzz(func(t *testing.T, text string) {
		d, err := ParseAt(text, checkDay)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error", err)
			}
			switch e.Reason {
			case ReasonFormat, ReasonCheckDigit, ReasonState, ReasonDate:
			default:
				t.Fatalf("unexpected reason %q", e.Reason)
			}
			if d != nil {
				t.Fatal("document returned with an error")
			}
			assertNoLeak(t, err.Error(), nil)
			return
		}
		d.Validate(checkDay, Rules{})

		in := splitLines(text)
		out := strings.Split(render(d), "\n")
		if len(out) != len(in) {
			t.Fatalf("rendered %d lines from %d", len(out), len(in))
		}
		l := layoutOf(d.Format)
		// Where the rendering may legitimately differ: the name, and the
		// check digit of an empty personal number ('<' or 0).
		free := []span{l.name}
		if l.personal.exists() && strings.Trim(l.personal.in(in), "<") == "" {
			free = append(free, l.personalCheck)
		}
		want := make([]string, len(in))
		for i := range in {
			b := []byte(in[i])
			for _, s := range free {
				if s.line == i {
					copy(b[s.start:s.end], out[i][s.start:s.end])
				}
			}
			want[i] = string(b)
		}
		for i := range want {
			if want[i] != out[i] {
				t.Fatalf("line %d re-rendered differently:\n in %s\nout %s", i+1, want[i], out[i])
			}
		}
		again, err := ParseAt(strings.Join(out, "\n"), checkDay)
		if err != nil {
			t.Fatalf("re-rendered MRZ refused: %v", err)
		}
		if !reflect.DeepEqual(fields(again), fields(d)) {
			t.Fatalf("re-parse differs:\n%v\n%v", fields(again), fields(d))
		}
	})
}
