package evaluation

import (
	"fmt"
	"image"
	"math/rand/v2"
	"path/filepath"
	"slices"

	"github.com/idv-oss/idv/face/reflection"
	"github.com/idv-oss/idv/face/synth"
	"github.com/idv-oss/idv/schemas"
)

// The light challenge's cases (issue 22): a session's selfie frames as in
// the other cases, and its light frames in light/, taken while the screen
// showed the case's sequence (Case.Light) at the times in
// Case.LightTiming.

// BonaFideReflection is the range the bona fide light cases' reflection
// strength is drawn from, per case: the screen's share of the light on
// the face. Set before measuring, around the browser test's 0.3 and down
// to a weak reflection (a screen at arm's length in a lit room).
var BonaFideReflection = [2]float64{0.08, 0.3}

// Reflect returns img as a camera sees it lit by a screen of colour
// (#rrggbb's channels) with reflection strength s: each channel of every
// pixel p becomes p·((1−s) + s·c/255) (package reflection's model, over
// the whole frame as the capture page's browser test applies it).
func Reflect(img image.Image, colour [3]float64, s float64) *image.RGBA {
	out := synth.Levels(img, 1, 0) // a copy in RGBA
	var gain [3]float64
	for c := range 3 {
		gain[c] = (1 - s) + s*colour[c]/255
	}
	for i := 0; i < len(out.Pix); i += 4 {
		for c := range 3 {
			out.Pix[i+c] = uint8(min(255, float64(out.Pix[i+c])*gain[c]+0.5))
		}
	}
	return out
}

// DrawSequence draws a light sequence from rng under the rules IDV draws
// by (schemas.DrawLightSequence): the evaluation's cases are reproducible,
// the stage's sequences come from crypto/rand.
func DrawSequence(rng *rand.Rand) schemas.LightSequence {
	l, _ := schemas.DrawLightSequence(func(n int) (int, error) { return rng.IntN(n), nil })
	return l
}

// LightTimes draws the capture times of a sequence's light frames as the
// capture page takes them: LightFramesPerSegment per segment, in its
// second half, in order.
func LightTimes(rng *rand.Rand, seq schemas.LightSequence) []int {
	var out []int
	for i, s := range seq.Sequence {
		start := seq.Start(i) + s.Ms/2
		for range schemas.LightFramesPerSegment {
			out = append(out, start+rng.IntN(s.Ms/2))
		}
	}
	slices.Sort(out)
	return out
}

// LightFrames renders the light frames of a person looking straight at
// the camera, lit by seq with strength s at times, drawn as r renders
// (exposure, sensor noise per frame); s 0 renders no reflection at all.
func LightFrames(img image.Image, f synth.Face, seq schemas.LightSequence, times []int, s float64, r synth.Render, seed uint64) ([]image.Image, error) {
	out := make([]image.Image, 0, len(times))
	for i, ms := range times {
		seg := seq.SegmentAt(ms)
		if seg < 0 {
			return nil, fmt.Errorf("evaluation: light time %d ms outside the sequence", ms)
		}
		c, err := schemas.RGB(seq.Sequence[seg].Colour)
		if err != nil {
			return nil, err
		}
		frames := synth.Rendered(Reflect(img, c, s), f, nil, r, seed+uint64(i))
		out = append(out, frames[0])
	}
	return out, nil
}

// lightCase is a light case to write: the label and its selfie and light
// frames.
type lightCase struct {
	kind          string
	label         Case
	selfie, light []image.Image
}

// lightCases makes one challenge's light cases for a photo: two bona fide
// (a genuine session lit by its own sequence), and one of each light
// attack of Attacks, each with a genuine session's selfie frames so that
// only the light decides.
func lightCases(ph photo, steps []string, draws *rand.Rand) ([]lightCase, error) {
	strength := func() float64 {
		return BonaFideReflection[0] + draws.Float64()*(BonaFideReflection[1]-BonaFideReflection[0])
	}
	// session is a genuine session whose label says it drew drawn, its
	// light frames taken at drawn's times lit by shown's colours with
	// strength s.
	session := func(kind string, drawn, shown schemas.LightSequence, s float64) (lightCase, error) {
		r, q := drawBonaFide(draws)
		selfie := asImages(synth.Rendered(ph.img, ph.face, steps, r, draws.Uint64()))
		times := LightTimes(draws, drawn)
		light, err := LightFrames(ph.img, ph.face, retimed(shown, drawn), times, s, r, draws.Uint64())
		return lightCase{kind: kind, label: Case{Render: &r, Quality: q, Light: &drawn, LightTiming: times, Reflection: s},
			selfie: selfie, light: light}, err
	}
	var out []lightCase
	for i := range 2 {
		seq := DrawSequence(draws)
		c, err := session(fmt.Sprintf("%s_light_%d", KindBonaFide, i+1), seq, seq, strength())
		if err != nil {
			return nil, err
		}
		c.label.Live = true
		out = append(out, c)
	}
	drawn := DrawSequence(draws)
	// wrong_light: lit by another sequence than the drawn one (one colour
	// differs at least), at the drawn one's times.
	other := drawn
	for sameColours(other, drawn) {
		other = DrawSequence(draws)
	}
	wrong, err := session("wrong_light", drawn, other, strength())
	if err != nil {
		return nil, err
	}
	// light_session_replay: a recorded genuine session, frames and timing,
	// presented to a session that drew its own sequence.
	recorded := DrawSequence(draws)
	replay, err := session("light_session_replay", recorded, recorded, strength())
	if err != nil {
		return nil, err
	}
	replay.label.Light = &drawn
	// light_no_reflection: the drawn sequence's times, no light on the face
	// (a video or an animation that does not answer the screen).
	flat, err := session("light_no_reflection", drawn, drawn, 0)
	if err != nil {
		return nil, err
	}
	return append(out, wrong, replay, flat), nil
}

// sameColours reports whether two sequences show the same colours in order.
func sameColours(a, b schemas.LightSequence) bool {
	return slices.EqualFunc(a.Sequence, b.Sequence, func(x, y schemas.LightSegment) bool { return x.Colour == y.Colour })
}

// retimed is colours's colours on timing's segment durations: the light
// the wrong_light attack shows, on the drawn sequence's clock.
func retimed(colours, timing schemas.LightSequence) schemas.LightSequence {
	out := timing
	out.Sequence = slices.Clone(timing.Sequence)
	for i := range out.Sequence {
		out.Sequence[i].Colour = colours.Sequence[i].Colour
	}
	return out
}

// lightDir is where a case's light frames are, beside its selfie frames.
func lightDir(dir string) string { return filepath.Join(dir, "light") }

// judgeLight judges a light case's light frames against its sequence and
// the first selfie frame's person.
func (m measured) judgeLight(cfg reflection.Config) []string {
	if m.label.Light == nil {
		return nil
	}
	if m.lightUnusable != "" {
		return []string{m.lightUnusable}
	}
	if len(m.frames) == 0 {
		return nil
	}
	return reflection.Judge(m.light, m.frames[0].Embedding, *m.label.Light, cfg).Reasons
}
