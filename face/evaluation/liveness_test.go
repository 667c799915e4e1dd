package evaluation

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/face/reflection"
	"github.com/idv-oss/idv/schemas"
)

// performed is a measured case whose frames perform blink then turn_left
// as strongly as turn and closure say, every frame a distinct picture of
// one person.
func performed(kind string, live bool, turn, closure float64) measured {
	thumb := func(v float32) []float32 { return []float32{v, v, v, v} }
	same := []float32{1, 0}
	return measured{name: kind, label: Case{Steps: []string{schemas.StepBlink, schemas.StepTurnLeft}, Live: live, Kind: kind},
		frames: []challenge.Frame{
			{Index: 0, Embedding: same, Thumbnail: thumb(0)},
			{Index: 1, Eyes: face.Eyes{Left: closure, Right: closure}, Embedding: same, Thumbnail: thumb(10)},
			{Index: 2, Yaw: -turn, Embedding: same, Thumbnail: thumb(20)},
		}}
}

// lit is performed with light frames: skin lit, at two frames per
// segment, by shown while the case's session drew drawn.
func lit(kind string, live bool, drawn, shown schemas.LightSequence, strength float64) measured {
	m := performed(kind, live, 30, 0.9)
	m.label.Light = &drawn
	for i := range schemas.LightFrames {
		c, _ := schemas.RGB(shown.Sequence[i/schemas.LightFramesPerSegment].Colour)
		f := reflection.Frame{Index: i, Ms: -1, Embedding: m.frames[0].Embedding}
		for ch, skin := range [3]float64{190, 140, 115} {
			f.Skin[ch] = skin * ((1 - strength) + strength*c[ch]/255)
		}
		m.light = append(m.light, f)
	}
	return m
}

// TestScorecardRows: APCER per attack type and BPCER as counts, a
// catalogue type without cases as a dash, a kind outside the catalogue
// after it, the light cases judged on their light too, and the sweeps
// moving with the thresholds.
func TestScorecardRows(t *testing.T) {
	t.Parallel()
	drawn := schemas.LightSequence{Frames: schemas.LightFrames, Sequence: []schemas.LightSegment{
		{Colour: schemas.LightBaseline, Ms: 800}, {Colour: "#3366ff", Ms: 700}, {Colour: "#ffcc33", Ms: 600}, {Colour: "#33cc66", Ms: 900}}}
	other := drawn
	other.Sequence = []schemas.LightSegment{drawn.Sequence[0], {Colour: "#33ccff", Ms: 700}, drawn.Sequence[2], drawn.Sequence[3]}
	r := &Liveness{cases: []measured{
		performed(KindBonaFide, true, 30, 0.9),
		performed(KindBonaFide, true, 12, 0.9), // a turn short of 15°
		performed("photo_animation", false, 30, 0.9),
		performed("printed_photo", false, 3, 0),
		performed("mask", false, 30, 0.6),
		lit("bona_fide_light", true, drawn, drawn, 0.2),
		lit("wrong_light", false, drawn, other, 0.2),
		lit("light_no_reflection", false, drawn, drawn, 0),
	}}
	var out bytes.Buffer
	r.PrintScorecard(&out)
	for _, row := range []string{
		`(?m)^printed_photo\s+0/1\s+challenge_step_missing×1$`,
		`(?m)^photo_animation\s+1/1\s+–$`,
		`(?m)^photo_on_screen\s+–\s+–$`,
		`(?m)^wrong_light\s+0/1\s+challenge_light_mismatch×1$`,
		`(?m)^light_no_reflection\s+0/1\s+challenge_light_mismatch×1$`,
		`(?m)^light_session_replay\s+–\s+–$`,
		`(?m)^mask\s+1/1\s+–$`,
		`(?m)^bona_fide\s+1/2\s+challenge_step_missing×1$`,
		`(?m)^bona_fide_light\s+0/1\s+–$`,
		`(?m)^10\s+0/3\s+photo_animation 1/1, mask 1/1$`,
		`(?m)^0\.7\s+1/3\s+photo_animation 1/1$`,
	} {
		if !regexp.MustCompile(row).MatchString(out.String()) {
			t.Errorf("no row %s in\n%s", row, &out)
		}
	}
	if strings.Index(out.String(), "light_no_reflection") > strings.Index(out.String(), "mask") {
		t.Errorf("a kind outside the catalogue printed before its end:\n%s", &out)
	}
}

func TestRateCounts(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		r    Rate
		want string
	}{
		{Rate{}, "–"},
		{Rate{3, 24}, "3/24"},
		{Rate{0, 99}, "0/99"},
		{Rate{3, 240}, "3/240 (1.2%)"},
	} {
		if got := tt.r.Counts(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.r, got, tt.want)
		}
	}
}
