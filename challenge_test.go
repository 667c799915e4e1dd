package idv_test

import (
	"slices"
	"testing"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

func TestNewChallengeDrawsEveryChallenge(t *testing.T) {
	seen := map[string]int{}
	for range 400 {
		c, err := idv.NewChallenge()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("drawn challenge %v: %v", c, err)
		}
		if len(c.Steps) != 2 || !slices.Contains(c.Steps, schemas.StepBlink) {
			t.Fatalf("challenge %v: want a turn and a blink", c)
		}
		seen[c.String()]++
	}
	// Four challenges, each drawn with p = 1/4: missing one in 400 draws
	// has probability below 1e-49.
	for _, want := range []string{"turn_left then blink", "blink then turn_left", "turn_right then blink", "blink then turn_right"} {
		if seen[want] == 0 {
			t.Errorf("challenge %q never drawn in 400: %v", want, seen)
		}
	}
}

// TestNewLightSequence: every drawn sequence is valid (baseline first,
// palette colours without equal neighbours, 600–900 ms segments), and
// over many draws every palette colour and both duration bounds' halves
// turn up.
func TestNewLightSequence(t *testing.T) {
	colours := map[string]int{}
	short, long := 0, 0
	for range 400 {
		l, err := idv.NewLightSequence()
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Validate(); err != nil {
			t.Fatalf("%+v: %v", l, err)
		}
		for i, s := range l.Sequence {
			if i > 0 {
				colours[s.Colour]++
			}
			if s.Ms < 750 {
				short++
			} else {
				long++
			}
		}
	}
	// 1200 drawn colours: each of the 4 is missing with probability below 0.75¹²⁰⁰.
	for _, c := range schemas.LightPalette {
		if colours[c] == 0 {
			t.Errorf("colour %s never drawn: %v", c, colours)
		}
	}
	if short == 0 || long == 0 {
		t.Errorf("durations: %d below 750 ms, %d from it", short, long)
	}
}

// TestNewSessionLight: a session takes the light challenge when the
// policy asks for it and the session has the liveness check; not without
// the check, nor under a policy without it.
func TestNewSessionLight(t *testing.T) {
	now := time.Date(2026, 12, 6, 7, 30, 0, 0, time.UTC)
	on := schemas.DefaultPolicy()
	on.LightChallenge = true
	liveness := idv.SessionRequest{Checks: []string{schemas.CheckDocument, schemas.CheckLiveness}}
	for name, c := range map[string]struct {
		policy schemas.Policy
		req    idv.SessionRequest
		want   bool
	}{
		"on, liveness":    {on, liveness, true},
		"on, no liveness": {on, idv.SessionRequest{}, false},
		"off, liveness":   {schemas.DefaultPolicy(), liveness, false},
	} {
		s, err := idv.NewSession(idv.Tenant{RetentionDays: 7, Policy: c.policy}, c.req, now, time.Hour)
		if err != nil || s.LightChallenge != c.want {
			t.Errorf("%s: light %v, want %v (%v)", name, s.LightChallenge, c.want, err)
		}
	}
	if d := idv.PolicyDiff(schemas.DefaultPolicy(), on); d["changed"] != schemas.SettingLightChallenge ||
		d["light_challenge_from"] != "false" || d["light_challenge_to"] != "true" {
		t.Errorf("diff %v", d)
	}
}
