package face

import (
	"cmp"
	"fmt"
	"image"
	"slices"
	"sort"
)

// Point is a position in image coordinates, where pixel (x, y) covers
// [x, x+1) × [y, y+1).
type Point struct{ X, Y float64 }

// Box is a face's bounding box in image coordinates.
type Box struct{ X1, Y1, X2, Y2 float64 }

// Width and Height of the box.
func (b Box) Width() float64  { return b.X2 - b.X1 }
func (b Box) Height() float64 { return b.Y2 - b.Y1 }

func (b Box) area() float64 { return max(0, b.Width()) * max(0, b.Height()) }

func iou(a, b Box) float64 {
	in := Box{max(a.X1, b.X1), max(a.Y1, b.Y1), min(a.X2, b.X2), min(a.Y2, b.Y2)}
	i := in.area()
	if i == 0 {
		return 0
	}
	return i / (a.area() + b.area() - i)
}

// Face is one detection.
type Face struct {
	Box   Box
	Score float32 // detector confidence, 0–1
}

const detW, detH = 320, 240

// Detect finds faces, strongest first. The whole image is resized (aspect
// ratio not kept, as the detector's anchors expect) to 320×240, fed as RGB
// (v−127)/128; detections scoring below Config.ScoreThreshold are dropped,
// then overlapping ones by non-maximum suppression. The detector also fires
// on drawings: a detection alone proves nothing about a live person. Any
// image is read, but one not yet prepared (Prepare) is converted first.
func (e *Engine) Detect(img image.Image) ([]Face, error) {
	b := img.Bounds()
	if b.Empty() {
		return nil, fmt.Errorf("face: detect: empty image")
	}
	out, err := e.infer(Detector, detectInput(pixelsOf(img)))
	if err != nil {
		return nil, err
	}
	scores, boxes := out[0], out[1]
	fw, fh := float64(b.Dx()), float64(b.Dy())
	var cands []Face
	for i := 0; i < len(scores)/2; i++ {
		s := scores[2*i+1] // column 1 is "face"
		if s < e.cfg.ScoreThreshold {
			continue
		}
		bx := boxes[4*i : 4*i+4]
		f := Face{Score: s, Box: Box{
			X1: float64(b.Min.X) + clamp01(float64(bx[0]))*fw,
			Y1: float64(b.Min.Y) + clamp01(float64(bx[1]))*fh,
			X2: float64(b.Min.X) + clamp01(float64(bx[2]))*fw,
			Y2: float64(b.Min.Y) + clamp01(float64(bx[3]))*fh,
		}}
		if f.Box.area() > 0 {
			cands = append(cands, f)
		}
	}
	return nms(cands, float64(e.cfg.NMSThreshold)), nil
}

// detectInput fills the detector's input: the whole image resized to
// 320×240, as RGB (v−127)/128.
func detectInput(px *pixels) func(in []float32) {
	b := px.rect
	view := boxView(float64(b.Min.X), float64(b.Min.Y), float64(b.Max.X), float64(b.Max.Y), detW, detH)
	return func(in []float32) { px.resize(view, detW, detH, centredRGB(in)) }
}

// Largest is the face with the largest box; faces must not be empty.
func Largest(faces []Face) Face {
	return slices.MaxFunc(faces, func(a, b Face) int {
		return cmp.Compare(a.Box.area(), b.Box.area())
	})
}

// nms keeps the strongest of every group of detections overlapping by more
// than thr (intersection over union).
func nms(cands []Face, thr float64) []Face {
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].Score > cands[j].Score })
	var keep []Face
next:
	for _, c := range cands {
		for _, k := range keep {
			if iou(c.Box, k.Box) > thr {
				continue next
			}
		}
		keep = append(keep, c)
	}
	return keep
}

func clamp01(v float64) float64 { return min(1, max(0, v)) }
