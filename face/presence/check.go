package presence

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// ErrOval is the error of an oval that is not one (a side not a positive
// number, a corner not a number).
var ErrOval = errors.New("presence: not an oval")

// MinInside is the least share of the face's box that must lie inside the
// oval. A square box as wide as an oval 1.3 times as tall as it is wide,
// and centred in it, has about 0.89 of its area inside.
const MinInside = 0.75

// Oval is the oval the page draws over its preview, given as the
// rectangle that bounds it, in fractions of the frame: X and W of its
// width, Y and H of its height. When the preview shows the whole frame,
// these are the oval's CSS position in percent of the preview, divided by
// 100. A horizontally centred oval is the same in a mirrored preview.
type Oval struct{ X, Y, W, H float64 }

// valid reports whether o is an oval.
func (o Oval) valid() error {
	for _, v := range []float64{o.X, o.Y, o.W, o.H} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: %+v", ErrOval, o)
		}
	}
	if o.W <= 0 || o.H <= 0 {
		return fmt.Errorf("%w: %+v has no area", ErrOval, o)
	}
	return nil
}

// Result is what Check found in one frame.
type Result struct {
	// Faces are the faces found, strongest first.
	Faces []Face
	// Reasons are the reason codes (Reason…), in their order; none when
	// the frame shows one face, in the oval and large enough: the page
	// may take the selfie frames.
	Reasons []string
	// Bounds are the frame's.
	Bounds image.Rectangle
}

// Check finds the faces in frame and judges the one it should hold
// against the oval.
func (d *Detector) Check(frame image.Image, oval Oval) (Result, error) {
	if err := oval.valid(); err != nil {
		return Result{}, err
	}
	res := Result{Faces: d.Faces(frame), Bounds: frame.Bounds()}
	switch len(res.Faces) {
	case 0:
		res.Reasons = []string{ReasonNoFaceSelfie}
	case 1:
		res.Reasons = judge(res.Faces[0].Box, res.Bounds, oval)
	default:
		res.Reasons = []string{ReasonMultipleFaces}
	}
	return res, nil
}

// judge gives the reasons against face box f, in a frame of bounds b with
// the oval o.
func judge(f Box, b image.Rectangle, o Oval) []string {
	reasons := []string{}
	f.X -= float64(b.Min.X)
	f.Y -= float64(b.Min.Y)
	// The oval in frame pixels: centre and radii. Each product is
	// rounded on its own (float64(…)), so that no platform fuses it with
	// the sum into one multiply-add, which WebAssembly does not have: the
	// page's answer must be the native one to the bit.
	fw, fh := float64(b.Dx()), float64(b.Dy())
	rx, ry := o.W*fw/2, o.H*fh/2
	cx, cy := float64(o.X*fw)+rx, float64(o.Y*fh)+ry
	in := func(x, y float64) bool {
		u, v := (x-cx)/rx, (y-cy)/ry
		return float64(u*u)+float64(v*v) <= 1
	}
	if f.W < MinFacePixels*BoxWidthRatio {
		reasons = append(reasons, ReasonFaceTooSmall)
	}
	switch {
	case f.W > 2*rx || f.H > 2*ry:
		reasons = append(reasons, ReasonFaceTooLarge)
	case !in(f.X+f.W/2, f.Y+f.H/2) || inside(f, in) < MinInside:
		reasons = append(reasons, ReasonFaceOffCentre)
	}
	return reasons
}

// inside is the share of box b inside the oval in reports, measured at the
// centres of a 32×32 grid of cells.
func inside(b Box, in func(x, y float64) bool) float64 {
	const n = 32
	count := 0
	for j := range n {
		for i := range n {
			if in(b.X+(float64(i)+0.5)*b.W/n, b.Y+(float64(j)+0.5)*b.H/n) {
				count++
			}
		}
	}
	return float64(count) / (n * n)
}

// Value is r in the shapes syscall/js converts to JavaScript (and
// encoding/json to JSON) as they are: map[string]any, []any, float64 and
// int; nil is null. The box is the one face's, in fractions of the frame
// as the oval is given, and null unless exactly one face was found:
//
//	{faces: number, reasons: [string], box: {x, y, w, h} | null}
func (r Result) Value() map[string]any {
	reasons := make([]any, len(r.Reasons))
	for i, code := range r.Reasons {
		reasons[i] = code
	}
	var box any
	if len(r.Faces) == 1 && !r.Bounds.Empty() {
		b, fw, fh := r.Faces[0].Box, float64(r.Bounds.Dx()), float64(r.Bounds.Dy())
		box = map[string]any{
			"x": (b.X - float64(r.Bounds.Min.X)) / fw, "y": (b.Y - float64(r.Bounds.Min.Y)) / fh,
			"w": b.W / fw, "h": b.H / fh,
		}
	}
	return map[string]any{"faces": len(r.Faces), "reasons": reasons, "box": box}
}
