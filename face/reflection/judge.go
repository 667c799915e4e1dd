package reflection

import (
	"math"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/schemas"
)

// expectedStrength is the reflection strength the colours' expected
// shifts are computed at: their direction barely moves with it, and Judge
// compares directions.
const expectedStrength = 0.2

// Verdict is the judgement over one attempt's light frames.
type Verdict struct {
	Reasons []string
	// Shift and Cosine are the smallest chromatic shift and the lowest
	// cosine to the expected shift among the coloured segments (0 when
	// none was compared): the margins the thresholds cut.
	Shift, Cosine float64
}

// Judge checks the light frames against the drawn sequence: each frame is
// placed in the segment shown at its time (by its index, two per
// segment, when it has none); the frames of the white segment are the
// face's baseline; the frames of each coloured segment must show, on
// average (in log space), a chromatic shift from the baseline of at least
// MinShift, pointing to within MinCosine of the shift the segment's colour
// casts and closer to it than to any other palette colour's. Otherwise, or when a segment has
// no frame, the reason is challenge_light_mismatch. Every frame must also
// show the person of ref (the first selfie frame's embedding):
// different_person.
func Judge(frames []Frame, ref []float32, seq schemas.LightSequence, cfg Config) Verdict {
	cfg = cfg.WithDefaults()
	var r idv.Reasons
	v := Verdict{Shift: math.Inf(1), Cosine: math.Inf(1)}
	for _, f := range frames {
		if face.Cosine(ref, f.Embedding) < cfg.SamePerson {
			r.Add(challenge.ReasonDifferentPerson)
		}
	}
	bySegment := place(frames, seq)
	if !followed(bySegment, seq, cfg, &v) {
		r.Add(challenge.ReasonLightMismatch)
	}
	if math.IsInf(v.Shift, 1) {
		v.Shift, v.Cosine = 0, 0
	}
	v.Reasons = r.Codes()
	return v
}

// place groups the frames by the segment shown at their time; a frame
// outside the sequence is left out.
func place(frames []Frame, seq schemas.LightSequence) [][]Frame {
	out := make([][]Frame, len(seq.Sequence))
	for _, f := range frames {
		seg := f.Index / schemas.LightFramesPerSegment
		if f.Ms >= 0 {
			seg = seq.SegmentAt(f.Ms)
		}
		if seg >= 0 && seg < len(out) {
			out[seg] = append(out[seg], f)
		}
	}
	return out
}

// followed reports whether every coloured segment's frames show, on
// average, their colour's shift from the baseline, widening v's margins
// as it goes.
func followed(bySegment [][]Frame, seq schemas.LightSequence, cfg Config, v *Verdict) bool {
	if len(bySegment) == 0 || len(bySegment[0]) == 0 {
		return false
	}
	base := meanLog(bySegment[0])
	ok := true
	for k, seg := range seq.Sequence[1:] {
		frames := bySegment[k+1]
		if len(frames) == 0 {
			ok = false
			continue
		}
		m := meanLog(frames)
		d := chroma([3]float64{m[0] - base[0], m[1] - base[1], m[2] - base[2]})
		cos := cosine(d, Expected(seg.Colour))
		v.Shift, v.Cosine = math.Min(v.Shift, norm(d)), math.Min(v.Cosine, cos)
		if norm(d) < cfg.MinShift || cos < cfg.MinCosine || !closest(d, seg.Colour) {
			ok = false
		}
	}
	return ok
}

// meanLog is the mean of the frames' skin colours in log space.
func meanLog(frames []Frame) [3]float64 {
	var m [3]float64
	for _, f := range frames {
		for i := range 3 {
			m[i] += math.Log(max(f.Skin[i], 1)) / float64(len(frames))
		}
	}
	return m
}

// closest reports whether d points nearer to colour's expected shift than
// to any other palette colour's.
func closest(d [3]float64, colour string) bool {
	own := cosine(d, Expected(colour))
	for _, c := range schemas.LightPalette {
		if c != colour && cosine(d, Expected(c)) > own {
			return false
		}
	}
	return true
}

// Expected is the chromatic shift a screen of colour (#rrggbb) casts on a
// face, against white, at expectedStrength; zero for a colour that does
// not parse.
func Expected(colour string) [3]float64 {
	c, err := schemas.RGB(colour)
	if err != nil {
		return [3]float64{}
	}
	var e [3]float64
	for i := range 3 {
		e[i] = math.Log(1 - expectedStrength*(1-c[i]/255))
	}
	return chroma(e)
}
