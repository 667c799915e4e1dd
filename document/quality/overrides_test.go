package quality

import (
	"strings"
	"testing"
)

func TestParseSettings(t *testing.T) {
	c, err := ParseSettings("")
	if err != nil || c != DefaultConfig() {
		t.Fatalf("empty: %+v, %v; want the defaults", c, err)
	}
	c, err = ParseSettings(" min_focus=80, max_glare = 0.02 ,min_long_side=1200,max_border_edges=-1")
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.MinFocus, want.MaxGlare, want.MinLongSide, want.MaxBorderEdges = 80, 0.02, 1200, -1
	if c != want {
		t.Fatalf("got %+v, want %+v", c, want)
	}
	for in, wantErr := range map[string]string{
		"min_focus":                   "not name=value",
		"focus=80":                    `unknown setting "focus"`,
		"min_focus=eighty":            "not a number",
		"min_focus=NaN":               "outside",
		"max_glare=2":                 "outside",
		"min_long_side=10.5":          "not a whole number",
		"min_focus=1,min_focus=2":     "given twice",
		"min_colourfulness=0":         "0 would mean the default",
		"glare_level=300,max_glare=x": "glare_level: 300 is outside",
	} {
		_, err := ParseSettings(in)
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%q: %v, want an error with %q", in, err, wantErr)
		}
	}
	// Every setting reaches its own field.
	for _, name := range SettingNames() {
		c, err := ParseSettings(name + "=0.25")
		if err != nil {
			c, err = ParseSettings(name + "=150")
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c == DefaultConfig() {
			t.Errorf("%s changed nothing", name)
		}
	}
}

func FuzzParseSettings(f *testing.F) {
	f.Add("min_focus=80,max_glare=0.02")
	f.Add("min_long_side=1e3")
	f.Add(",,=,")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseSettings(s)
		if err == nil && (c.MinLongSide < 1 || c.AnalysisWidth < 100 || c.GlareLevel < 1 || c.GlareLevel > 255) {
			t.Fatalf("%q accepted out of range: %+v", s, c)
		}
	})
}

// withDefaults fills a field only through settings: a Config field missing
// from settings would stay zero here.
func TestWithDefaultsFillsEveryField(t *testing.T) {
	if got := (Config{}).withDefaults(); got != DefaultConfig() {
		t.Fatalf("Config{}.withDefaults() = %+v, want %+v", got, DefaultConfig())
	}
	c := Config{MinFocus: -1, MinLongSide: 500}
	want := DefaultConfig()
	want.MinFocus, want.MinLongSide = -1, 500
	if got := c.withDefaults(); got != want {
		t.Fatalf("withDefaults() = %+v, want %+v", got, want)
	}
}
