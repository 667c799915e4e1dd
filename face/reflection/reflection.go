// Package reflection checks the light challenge (schemas/light.go): that
// the colour a screen cast on a face, in the light frames, follows the
// sequence the server drew for the attempt. A pre-recorded video, a photo
// animation or frames made for another session's sequence cannot know the
// colours in advance.
//
// Measure reads one light frame: its single face, the mean colour of the
// inner face (the cheeks and nose: skin, without hair, eyes or
// background) and the face's embedding. Judge compares, per light frame of
// a coloured segment, the shift of that colour from the face's own
// baseline (the frames of the white segment) with the shift the segment's
// colour would cast.
//
// The model: a screen of colour c lights the face on top of the room's
// light, so each channel of a skin pixel p becomes about
// p·((1−s) + s·c/255), s the screen's share of the light on the face (its
// reflection strength). In log space that is ln p + ln(1 − s(1 − c/255));
// the exposure and white balance the camera applies to the whole frame
// add the same offset to every channel, so Judge compares only the
// chromatic part of the shift (each channel's log ratio minus the three's
// mean) and never its brightness. Screens far from the face, bright rooms
// (daylight) and dim screens make s small; a camera's automatic white
// balance works against the shift. docs/design.md states what passes and
// what fails.
//
// A Frame holds biometric data (the embedding): callers keep it in memory
// only and clear it when done.
package reflection

import (
	"fmt"
	"image"
	"math"

	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/challenge"
)

// Defaults of Config. Chosen before the scorecard's bona fide set was
// drawn (docs/measurements.md, "Face match and liveness, measured"): a
// screen's reflection of strength 0.08 casts a chromatic shift of 0.036
// to 0.049 in log units for the palette's colours.
const (
	// DefaultMinShift is the smallest chromatic shift, in log units (about
	// a ratio of 1.5 % between channels), a coloured segment's frame must
	// show against the baseline.
	DefaultMinShift = 0.015
	// DefaultMinCosine is the least cosine between the shift a frame shows
	// and the one its segment's colour casts.
	DefaultMinCosine = 0.8
)

// Config tunes Measure and Judge; the zero value is the default.
type Config struct {
	MinShift, MinCosine float64
	// SamePerson is the least cosine similarity of a light frame's face
	// to the first selfie frame's (challenge.DefaultSamePerson when 0);
	// MinFacePixels the narrowest face read (challenge's default).
	SamePerson, MinFacePixels float64
}

// WithDefaults returns c with each unset field at its default.
func (c Config) WithDefaults() Config {
	set := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	set(&c.MinShift, DefaultMinShift)
	set(&c.MinCosine, DefaultMinCosine)
	set(&c.SamePerson, challenge.DefaultSamePerson)
	set(&c.MinFacePixels, challenge.DefaultMinFacePixels)
	return c
}

// Engine is what Measure needs of the face engine (*face.Engine).
type Engine interface {
	Detect(img image.Image) ([]face.Face, error)
	Embed(img image.Image, f face.Face) ([]float32, error)
}

// Frame is what Measure read on one light frame.
type Frame struct {
	Index int
	// Ms is the frame's capture time on the sequence's clock, -1 when
	// the app did not report it (Judge then places frames by index).
	Ms int
	// Skin is the mean colour (R, G, B, 0–255) of the inner face.
	Skin      [3]float64
	Embedding []float32
}

// Measure reads one light frame: its single face's inner-face colour and
// embedding. A frame without exactly one face large enough to read gives
// a reason code instead (challenge's: no_face_selfie, multiple_faces,
// low_quality).
func Measure(e Engine, img image.Image, cfg Config) (Frame, string, error) {
	cfg = cfg.WithDefaults()
	img = face.Prepare(img)
	f, reason, err := challenge.OneFace(e, img, cfg.MinFacePixels)
	if err != nil {
		return Frame{}, "", fmt.Errorf("reflection: %w", err)
	}
	if reason != "" {
		return Frame{}, reason, nil
	}
	skin, ok := Skin(img, f.Box)
	if !ok {
		return Frame{}, challenge.ReasonLowQuality, nil
	}
	emb, err := e.Embed(img, f)
	if err != nil {
		return Frame{}, "", fmt.Errorf("reflection: embed: %w", err)
	}
	return Frame{Ms: -1, Skin: skin, Embedding: emb}, "", nil
}

// Skin is the mean colour of the inner face of the face in box: the
// middle half of its width, from 40 % to 75 % of its height (the cheeks
// and the nose), leaving out clipped and near-black pixels, which carry
// no ratio. ok is false when too few pixels are left to measure.
func Skin(img image.Image, box face.Box) (mean [3]float64, ok bool) {
	r := image.Rect(int(box.X1+0.25*box.Width()), int(box.Y1+0.40*box.Height()),
		int(box.X2-0.25*box.Width()), int(box.Y1+0.75*box.Height())).Intersect(img.Bounds())
	var sum [3]float64
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := rgb(img, x, y)
			if max(c[0], c[1], c[2]) >= 250 || min(c[0], c[1], c[2]) <= 8 {
				continue
			}
			for i := range 3 {
				sum[i] += c[i]
			}
			n++
		}
	}
	if n < 64 {
		return mean, false
	}
	for i := range 3 {
		mean[i] = sum[i] / float64(n)
	}
	return mean, true
}

// rgb is a pixel's colour, 0–255 per channel, read without an allocation
// for the layouts face.Prepare gives.
func rgb(img image.Image, x, y int) [3]float64 {
	switch m := img.(type) {
	case *image.RGBA:
		i := m.PixOffset(x, y)
		return [3]float64{float64(m.Pix[i]), float64(m.Pix[i+1]), float64(m.Pix[i+2])}
	case *image.NRGBA:
		i := m.PixOffset(x, y)
		return [3]float64{float64(m.Pix[i]), float64(m.Pix[i+1]), float64(m.Pix[i+2])}
	}
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]float64{float64(r >> 8), float64(g >> 8), float64(b >> 8)}
}

// chroma is the chromatic part of a log-space shift: each channel minus
// the three's mean.
func chroma(v [3]float64) [3]float64 {
	m := (v[0] + v[1] + v[2]) / 3
	return [3]float64{v[0] - m, v[1] - m, v[2] - m}
}

func norm(v [3]float64) float64 { return math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2]) }

func cosine(a, b [3]float64) float64 {
	n := norm(a) * norm(b)
	if n == 0 {
		return 0
	}
	return (a[0]*b[0] + a[1]*b[1] + a[2]*b[2]) / n
}
