// Package presence tells the hosted capture page, before it takes the
// selfie frames, whether the camera shows one face, inside the oval the
// page draws and wide enough for the face match to compare, so that the
// page can say what to change and take the frames itself when nothing
// needs changing. The page runs it compiled to WebAssembly (web/wasm).
//
// The server's face detector (package face) runs ONNX models through ONNX
// Runtime, which WebAssembly cannot load; this package detects faces with
// pigo (github.com/esimov/pigo), a pure-Go port of the pico cascade
// detector, whose cascade (facefinder, MIT, see facefinder.LICENSE) is
// embedded. The two detectors are different: a face one finds the other
// may miss, and their boxes are drawn differently. What this package
// answers is advice to the person in front of the camera; the server's
// face match decides on the frames it receives, with its own detector.
//
// Answers are reason codes and a box, never pixels: nothing here keeps or
// returns any part of the image.
package presence

import (
	"cmp"
	_ "embed" // the cascade
	"fmt"
	"image"
	"image/color"
	"slices"

	pigo "github.com/esimov/pigo/core"
)

// facefinder is pico's frontal face cascade as github.com/esimov/pigo
// v1.4.6 ships it (cascade/facefinder), copied because go:embed reads only
// this directory.
//
//go:embed facefinder
var facefinder []byte

// The detector's settings: pigo's own (its README's cascade parameters and
// clustering threshold, its commands' score threshold), not tuned on the
// test photos, and the size of the picture scanned.
const (
	// AnalysisSide is the longest side, in pixels, of the picture the
	// cascade scans: a larger frame is shrunk by the smallest whole factor
	// that brings it there (1280×720 by 2, to 640×360), averaging each
	// factor×factor block, which bounds the time a check of a phone's
	// video frame takes. 480 would be two to four times faster but,
	// shrinking 640×480 by 2, misses the faces of 31 to 41 pixels in the
	// test photos that the server's detector finds.
	AnalysisSide = 640
	// MinSize is the smallest face the cascade looks for, in pixels of
	// the scanned picture: 20, so in frame pixels 20 times the shrink
	// factor (20 at 640×480, 40 at 1280×720, 60 at 1920×1080): below
	// the narrowest face that passes (MinFacePixels × BoxWidthRatio, 78)
	// on frames up to 1920 pixels wide, so that a small face is reported
	// too small rather than missed, and a small face behind the person is
	// counted.
	MinSize = 20
	// ShiftFactor and ScaleFactor step the scanning window: a tenth of
	// its size across, 10 % larger each scale.
	ShiftFactor = 0.1
	ScaleFactor = 1.1
	// ClusterIoU is the overlap above which pigo merges two detections
	// into one face.
	ClusterIoU = 0.2
	// MinScore is the lowest score (pigo's Q, summed over a cluster's
	// detections) that counts as a face.
	MinScore = 5.0
)

// Box is a face's square box in frame pixels: (X, Y) is its top-left
// corner, pixel (x, y) covering [x, x+1) × [y, y+1).
type Box struct{ X, Y, W, H float64 }

// Face is one face found.
type Face struct {
	Box Box
	// Score is pigo's score, higher when surer; MinScore or more.
	Score float32
}

// Detector finds faces. It is safe for concurrent use.
type Detector struct {
	cascade *pigo.Pigo
}

// New unpacks the embedded cascade.
func New() (*Detector, error) {
	c, err := pigo.NewPigo().Unpack(facefinder)
	if err != nil {
		return nil, fmt.Errorf("presence: unpack the cascade: %w", err)
	}
	return &Detector{cascade: c}, nil
}

// Faces finds the upright faces in img, strongest first. The answer
// depends on the pixels only: the same frame gives the same faces
// natively on amd64 and in WebAssembly (web/wasm's TestWasmAgrees). On
// arm64, where Go may fuse a multiplication and an addition into one
// instruction, pigo's scale steps and clustering could round otherwise on
// a frame at the edge of a decision.
func (d *Detector) Faces(img image.Image) []Face {
	b := img.Bounds()
	k := (max(b.Dx(), b.Dy()) + AnalysisSide - 1) / AnalysisSide
	if k == 0 {
		return nil
	}
	grey, w, h := shrink(img, k)
	if min(w, h) < MinSize {
		return nil
	}
	params := pigo.CascadeParams{
		MinSize: MinSize, MaxSize: min(w, h), ShiftFactor: ShiftFactor, ScaleFactor: ScaleFactor,
		ImageParams: pigo.ImageParams{Pixels: grey, Rows: h, Cols: w, Dim: w},
	}
	dets := d.cascade.ClusterDetections(d.cascade.RunCascade(params, 0), ClusterIoU)
	var faces []Face
	for _, det := range dets {
		if det.Q < MinScore {
			continue
		}
		s := float64(det.Scale * k)
		faces = append(faces, Face{Score: det.Q, Box: Box{
			X: float64(b.Min.X) + float64(det.Col*k) - s/2,
			Y: float64(b.Min.Y) + float64(det.Row*k) - s/2,
			W: s, H: s,
		}})
	}
	slices.SortStableFunc(faces, func(a, b Face) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.Box.Y, b.Box.Y), cmp.Compare(a.Box.X, b.Box.X))
	})
	return distinct(faces)
}

// distinct drops from faces, strongest first, each face whose box
// shares more than half of the smaller box's area with a stronger face's
// box. pigo's clustering groups detections around seeds taken in turn,
// so one face seen at two scales can come out as two clusters, nested or
// overlapping (faces filling much of the frame did, at 640×480 and
// 1280×720: presencetest); two real faces do not overlap so much.
func distinct(faces []Face) []Face {
	var out []Face
	for _, f := range faces {
		same := func(g Face) bool {
			return overlap(f.Box, g.Box) > min(f.Box.W*f.Box.H, g.Box.W*g.Box.H)/2
		}
		if !slices.ContainsFunc(out, same) {
			out = append(out, f)
		}
	}
	return out
}

// overlap is the area two boxes share.
func overlap(a, b Box) float64 {
	w := min(a.X+a.W, b.X+b.W) - max(a.X, b.X)
	h := min(a.Y+a.H, b.Y+b.H) - max(a.Y, b.Y)
	return max(0, w) * max(0, h)
}

// shrink is img's luma (BT.601 weights, in integers) averaged over k×k
// blocks, and its size; the last columns and rows that do not fill a
// block are left out.
func shrink(img image.Image, k int) (grey []uint8, w, h int) {
	b := img.Bounds()
	w, h = b.Dx()/k, b.Dy()/k
	grey = make([]uint8, w*h)
	row := make([]uint8, w*k)
	sums := make([]uint32, w)
	n := uint32(k * k)
	for y := range h {
		clear(sums)
		for dy := range k {
			lumaRow(row, img, b.Min.X, b.Min.Y+y*k+dy)
			for x := range sums {
				for _, v := range row[x*k : x*k+k] {
					sums[x] += uint32(v)
				}
			}
		}
		for x, s := range sums {
			grey[y*w+x] = uint8((s + n/2) / n)
		}
	}
	return grey, w, h
}

// lumaRow fills dst with the luma of len(dst) pixels of row y from x0. A
// canvas's frame (*image.NRGBA) and an *image.RGBA are read from their
// bytes; the colour channels count as they are, whatever the alpha (a
// camera's is opaque).
func lumaRow(dst []uint8, img image.Image, x0, y int) {
	var pix []uint8
	switch m := img.(type) {
	case *image.NRGBA:
		pix = m.Pix[m.PixOffset(x0, y):]
	case *image.RGBA:
		pix = m.Pix[m.PixOffset(x0, y):]
	default:
		for i := range dst {
			c := color.NRGBAModel.Convert(img.At(x0+i, y)).(color.NRGBA)
			dst[i] = luma(c.R, c.G, c.B)
		}
		return
	}
	for i := range dst {
		p := pix[4*i : 4*i+3]
		dst[i] = luma(p[0], p[1], p[2])
	}
}

// luma is BT.601's Y' of an sRGB pixel, rounded.
func luma(r, g, b uint8) uint8 {
	return uint8((299*uint32(r) + 587*uint32(g) + 114*uint32(b) + 500) / 1000)
}
