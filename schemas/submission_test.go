package schemas

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

var testLimits = SubmissionLimits{SelfieFrames: 5, LightFrames: LightFrames}

func TestParseSubmission(t *testing.T) {
	cases := []struct {
		name, body string
		field      string // "" accepted; "-" not one JSON object
	}{
		{"empty object", `{}`, ""},
		{"the contract's example", `{"timing": {"selfie": [-1200, 2400, 4100], "light": [450, 700, 1200, 1450, 1800, 2050, 2500, 2800]},
			"light_declined": false, "signals": {"automation": false, "virtual_camera": false, "track_mismatch": false, "frame_rate_mismatch": false}}`, ""},
		{"declined", `{"light_declined": true}`, ""},
		{"empty timing", `{"timing": {}}`, ""},
		{"unknown field", `{"user_agent": "x"}`, "user_agent"},
		{"named twice", `{"light_declined": true, "light_declined": false}`, "light_declined"},
		{"timing of another kind", `{"timing": {"document_front": [1]}}`, "timing.document_front"},
		{"timing not an object", `{"timing": [1]}`, "timing"},
		{"times not an array", `{"timing": {"selfie": 1}}`, "timing.selfie"},
		{"null times", `{"timing": {"selfie": null}}`, "timing.selfie"},
		{"more selfie times than frames", `{"timing": {"selfie": [1,2,3,4,5,6]}}`, "timing.selfie"},
		{"more light times than frames", `{"timing": {"light": [1,2,3,4,5,6,7,8,9]}}`, "timing.light"},
		{"fraction", `{"timing": {"light": [1, 2.5]}}`, "timing.light.1"},
		{"exponent", `{"timing": {"light": [1e3]}}`, "timing.light.0"},
		{"string time", `{"timing": {"light": ["1"]}}`, "timing.light.0"},
		{"huge time", `{"timing": {"light": [99999999999]}}`, "timing.light.0"},
		{"declined as a string", `{"light_declined": "true"}`, "light_declined"},
		{"signal as a number", `{"signals": {"automation": 1}}`, "signals.automation"},
		{"unknown signal", `{"signals": {"gpu": true}}`, "signals.gpu"},
		{"signals null", `{"signals": null}`, "signals"},
		{"array", `[]`, "-"},
		{"two objects", `{} {}`, "-"},
		{"truncated", `{"timing": {`, "-"},
		{"null", `null`, "-"},
	}
	for _, c := range cases {
		_, err := ParseSubmission([]byte(c.body), testLimits)
		var se *SubmissionError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.field == "-" && !errors.Is(err, ErrMalformedSubmission):
			t.Errorf("%s: %v, want ErrMalformedSubmission", c.name, err)
		case c.field != "" && c.field != "-" && (!errors.As(err, &se) || se.Field != c.field):
			t.Errorf("%s: %v, want a SubmissionError naming %s", c.name, err, c.field)
		}
	}
	sub, err := ParseSubmission([]byte(`{"timing": {"selfie": [-1200, 0], "light": [450]}, "light_declined": true,
		"signals": {"virtual_camera": true}}`), testLimits)
	if err != nil || !slices.Equal(sub.Timing[Selfie], []int{-1200, 0}) || !slices.Equal(sub.Timing[Light], []int{450}) ||
		!sub.LightDeclined || len(sub.Signals) != 1 || !sub.Signals[SignalVirtualCamera] {
		t.Fatalf("parsed %+v, %v", sub, err)
	}
}

// FuzzSubmission: whatever the body, ParseSubmission accepts only a
// submission within the limits — known kinds and signals, no longer
// arrays than the slots — that reads back the same once stored as JSON.
func FuzzSubmission(f *testing.F) {
	for _, s := range []string{`{}`, `{"timing": {"selfie": [-1200, 2400], "light": [450, 700]}, "light_declined": false,
		"signals": {"automation": false, "virtual_camera": true}}`, `{"timing": {"light": [1.5]}}`, `{"signals": {"x": true}}`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sub, err := ParseSubmission(body, testLimits)
		if err != nil {
			return
		}
		for kind, times := range sub.Timing {
			if (kind != Selfie && kind != Light) || (kind == Selfie && len(times) > testLimits.SelfieFrames) ||
				(kind == Light && len(times) > testLimits.LightFrames) {
				t.Fatalf("accepted timing %s of %d", kind, len(times))
			}
		}
		for name := range sub.Signals {
			if !slices.Contains(Signals, name) {
				t.Fatalf("accepted signal %q", name)
			}
		}
		stored, err := json.Marshal(sub)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseSubmission(stored, testLimits)
		if err != nil {
			t.Fatalf("stored form %s refused: %v", stored, err)
		}
		if again.LightDeclined != sub.LightDeclined || len(again.Timing) != len(sub.Timing) || len(again.Signals) != len(sub.Signals) {
			t.Fatalf("round trip %+v → %+v", sub, again)
		}
	})
}
