package reflection_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/face/reflection"
	"github.com/idv-oss/idv/schemas"
)

var seq = schemas.LightSequence{Frames: schemas.LightFrames, Sequence: []schemas.LightSegment{
	{Colour: schemas.LightBaseline, Ms: 800}, {Colour: "#3366ff", Ms: 700}, {Colour: "#ffcc33", Ms: 600}, {Colour: "#33ccff", Ms: 900}}}

// times are two frames per segment of seq, in each second half.
var times = []int{500, 750, 1200, 1450, 1850, 2050, 2600, 2900}

var me = []float32{1, 0, 0}

// lit is the frames of skin of colour skin lit by the segments of lights
// (the sequence shown at each of times) with strength s, each frame's
// exposure off by up to ±gain and its mean off by noise levels (σ; a
// face's mean over thousands of pixels moves far less with sensor noise).
func lit(lights schemas.LightSequence, skin [3]float64, s, gain, noise float64, seed uint64) []reflection.Frame {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []reflection.Frame
	for i, ms := range times {
		c, _ := schemas.RGB(lights.Sequence[lights.SegmentAt(ms)].Colour)
		g := 1 + gain*(2*rng.Float64()-1)
		var f reflection.Frame
		for ch := range 3 {
			f.Skin[ch] = skin[ch]*((1-s)+s*c[ch]/255)*g + noise*rng.NormFloat64()
		}
		f.Index, f.Ms, f.Embedding = i, ms, me
		out = append(out, f)
	}
	return out
}

var skin = [3]float64{190, 140, 115}

// TestJudge: frames lit by the drawn sequence pass from a weak reflection
// up, through exposure changes and noise; another sequence, no reflection
// (a photo animation or a video that does not answer the screen) and
// frames of another person do not.
func TestJudge(t *testing.T) {
	t.Parallel()
	for _, s := range []float64{0.08, 0.15, 0.3} {
		for seed := range uint64(50) {
			v := reflection.Judge(lit(seq, skin, s, 0.1, 0.5, seed), me, seq, reflection.Config{})
			if len(v.Reasons) > 0 {
				t.Fatalf("s %.2f seed %d: %v (shift %.3f cosine %.2f)", s, seed, v.Reasons, v.Shift, v.Cosine)
			}
		}
	}
	other := seq
	other.Sequence = slices.Clone(seq.Sequence)
	other.Sequence[3].Colour = "#33cc66" // one colour differs
	cyan := seq
	cyan.Sequence = slices.Clone(seq.Sequence)
	cyan.Sequence[1].Colour = "#33ccff" // blue shown as cyan, its nearest palette colour
	cyan.Sequence[3].Colour = "#33cc66"
	for name, frames := range map[string][]reflection.Frame{
		"another colour":    lit(other, skin, 0.3, 0, 0, 1),
		"cyan for blue":     lit(cyan, skin, 0.3, 0, 0, 2),
		"no reflection":     lit(seq, skin, 0, 0.1, 1, 3),
		"a photo animation": lit(seq, skin, 0, 0, 0, 4),
		"white only":        lit(schemas.LightSequence{Sequence: []schemas.LightSegment{{Colour: schemas.LightBaseline, Ms: 4000}}}, skin, 0.3, 0, 0, 5),
		"missing segment":   lit(seq, skin, 0.3, 0, 0, 6)[:6],
	} {
		v := reflection.Judge(frames, me, seq, reflection.Config{})
		if !slices.Equal(v.Reasons, []string{challenge.ReasonLightMismatch}) {
			t.Errorf("%s: %v (shift %.3f cosine %.2f)", name, v.Reasons, v.Shift, v.Cosine)
		}
	}
	v := reflection.Judge(lit(seq, skin, 0.3, 0, 0, 7), []float32{0, 1, 0}, seq, reflection.Config{})
	if !slices.Equal(v.Reasons, []string{challenge.ReasonDifferentPerson}) {
		t.Errorf("another person: %v", v.Reasons)
	}
}

// TestJudgeWithoutTimes: frames the app gave no time for are placed by
// their index, two per segment.
func TestJudgeWithoutTimes(t *testing.T) {
	t.Parallel()
	frames := lit(seq, skin, 0.2, 0, 0, 1)
	for i := range frames {
		frames[i].Ms = -1
	}
	if v := reflection.Judge(frames, me, seq, reflection.Config{}); len(v.Reasons) > 0 {
		t.Fatalf("by index: %v", v.Reasons)
	}
	slices.Reverse(frames)
	for i := range frames {
		frames[i].Index = i
	}
	if v := reflection.Judge(frames, me, seq, reflection.Config{}); len(v.Reasons) == 0 {
		t.Fatal("frames in reverse order passed")
	}
}

// TestExpectedShifts: the palette's expected shifts are told apart (no two
// closer than a cosine of 0.9), which the judge's nearest-colour rule
// needs.
func TestExpectedShifts(t *testing.T) {
	t.Parallel()
	for i, a := range schemas.LightPalette {
		for _, b := range schemas.LightPalette[i+1:] {
			ea, eb := reflection.Expected(a), reflection.Expected(b)
			cos := (ea[0]*eb[0] + ea[1]*eb[1] + ea[2]*eb[2]) /
				math.Sqrt((ea[0]*ea[0]+ea[1]*ea[1]+ea[2]*ea[2])*(eb[0]*eb[0]+eb[1]*eb[1]+eb[2]*eb[2]))
			if cos > 0.9 {
				t.Errorf("%s and %s: cosine %.2f", a, b, cos)
			}
		}
	}
}
