package quality

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// setting is one threshold an operator may set by name (ParseSettings):
// where it lives in Config and the values that make sense for it.
type setting struct {
	field  func(*Config) *float64
	int    func(*Config) *int
	lo, hi float64
}

// settings are Config's thresholds, every one of them (withDefaults relies
// on it), by the names IDV_DOCCHECK_QUALITY uses.
// A negative value turns a gate off where Config says so, hence lo -1.
var settings = map[string]setting{
	"min_long_side":     {int: func(c *Config) *int { return &c.MinLongSide }, lo: 1, hi: 20000},
	"min_short_side":    {int: func(c *Config) *int { return &c.MinShortSide }, lo: 1, hi: 20000},
	"analysis_width":    {int: func(c *Config) *int { return &c.AnalysisWidth }, lo: 100, hi: 4000},
	"min_focus":         {field: func(c *Config) *float64 { return &c.MinFocus }, lo: -1, hi: 100000},
	"glare_level":       {field: func(c *Config) *float64 { return &c.GlareLevel }, lo: 1, hi: 255},
	"min_glare_blob":    {field: func(c *Config) *float64 { return &c.MinGlareBlob }, lo: 0.000001, hi: 1},
	"max_glare":         {field: func(c *Config) *float64 { return &c.MaxGlare }, lo: -1, hi: 1},
	"min_colourfulness": {field: func(c *Config) *float64 { return &c.MinColourfulness }, lo: -1, hi: 200},
	"border_band":       {field: func(c *Config) *float64 { return &c.BorderBand }, lo: 0.001, hi: 0.5},
	"max_border_edges":  {field: func(c *Config) *float64 { return &c.MaxBorderEdges }, lo: -1, hi: 1},
	"min_card_edge":     {field: func(c *Config) *float64 { return &c.MinCardEdge }, lo: 0.01, hi: 1},
	"min_cut_edges":     {field: func(c *Config) *float64 { return &c.MinCutEdges }, lo: 0.0001, hi: 1},
	"edge_strength":     {field: func(c *Config) *float64 { return &c.EdgeStrength }, lo: 1, hi: 2000},
}

// SettingNames are the names ParseSettings knows, sorted.
func SettingNames() []string {
	names := make([]string, 0, len(settings))
	for n := range settings {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ParseSettings reads thresholds written as comma-separated name=value
// pairs ("min_focus=80,max_glare=0.02"; names as SettingNames) over the
// defaults. Every problem is reported at once, naming the setting.
func ParseSettings(s string) (Config, error) {
	c := DefaultConfig()
	var errs []string
	seen := map[string]bool{}
	for pair := range strings.SplitSeq(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		name, value, ok := strings.Cut(pair, "=")
		name = strings.TrimSpace(name)
		st, known := settings[name]
		switch {
		case !ok:
			errs = append(errs, fmt.Sprintf("%q is not name=value", pair))
			continue
		case !known:
			errs = append(errs, fmt.Sprintf("unknown setting %q (known: %s)", name, strings.Join(SettingNames(), ", ")))
			continue
		case seen[name]:
			errs = append(errs, fmt.Sprintf("%s given twice", name))
			continue
		}
		seen[name] = true
		if err := st.set(&c, strings.TrimSpace(value)); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", name, err))
		}
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("quality settings: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

// set parses v into the setting's field of c, within its range.
func (st setting) set(c *Config, v string) error {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", v)
	}
	if f == 0 {
		// Config reads a zero as "the default"; say so rather than
		// quietly keep the default.
		return fmt.Errorf("0 would mean the default (a negative value turns a gate off where it can be)")
	}
	if f != f || f < st.lo || f > st.hi {
		return fmt.Errorf("%s is outside %g..%g", v, st.lo, st.hi)
	}
	if st.int != nil {
		if f != float64(int(f)) {
			return fmt.Errorf("%s is not a whole number of pixels", v)
		}
		*st.int(c) = int(f)
		return nil
	}
	*st.field(c) = f
	return nil
}

// fillFrom sets the setting's field of c to d's when it is zero.
func (st setting) fillFrom(c, d *Config) {
	if st.int != nil {
		if v := st.int(c); *v == 0 {
			*v = *st.int(d)
		}
		return
	}
	if v := st.field(c); *v == 0 {
		*v = *st.field(d)
	}
}
