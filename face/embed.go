package face

import (
	"fmt"
	"image"
	"math"
)

const alignSize = 112

// arcface is the usual 112×112 five-point template (left eye, right eye,
// nose tip, left and right mouth corner; "left" as seen in the image), in
// pixel-index coordinates.
var arcface = [5]Point{
	{38.2946, 51.6963},
	{73.5318, 51.5014},
	{56.0252, 71.7366},
	{41.5493, 92.3655},
	{70.7299, 92.2041},
}

// fivePoints reduces the 68 landmarks to the template's five points: the
// centres of the eyes (36–41, 42–47), the nose tip (30) and the mouth
// corners (48, 54).
func fivePoints(lm [68]Point) [5]Point {
	centre := func(from, to int) Point {
		var p Point
		for i := from; i <= to; i++ {
			p.X += lm[i].X
			p.Y += lm[i].Y
		}
		n := float64(to - from + 1)
		return Point{p.X / n, p.Y / n}
	}
	return [5]Point{centre(36, 41), centre(42, 47), lm[30], lm[48], lm[54]}
}

// similarity returns the least-squares similarity transform (rotation,
// uniform scale, translation; no reflection or shear) taking src onto dst:
// x' = a·x − b·y + tx, y' = b·x + a·y + ty.
func similarity(src, dst [5]Point) (a, b, tx, ty float64, ok bool) {
	var ms, md Point
	for i := range src {
		ms.X += src[i].X / 5
		ms.Y += src[i].Y / 5
		md.X += dst[i].X / 5
		md.Y += dst[i].Y / 5
	}
	var ss, dot, cross float64
	for i := range src {
		sx, sy := src[i].X-ms.X, src[i].Y-ms.Y
		dx, dy := dst[i].X-md.X, dst[i].Y-md.Y
		ss += sx*sx + sy*sy
		dot += sx*dx + sy*dy
		cross += sx*dy - sy*dx
	}
	if ss < 1e-9 {
		return 0, 0, 0, 0, false
	}
	a, b = dot/ss, cross/ss
	tx = md.X - (a*ms.X - b*ms.Y)
	ty = md.Y - (b*ms.X + a*ms.Y)
	return a, b, tx, ty, a*a+b*b > 1e-12
}

// alignment returns the map from the 112×112 output to the image that puts
// the face's five points on the template.
func alignment(lm [68]Point) (affine, error) {
	var tmpl [5]Point
	for i, p := range arcface { // index → continuous coordinates
		tmpl[i] = Point{p.X + 0.5, p.Y + 0.5}
	}
	a, b, tx, ty, ok := similarity(fivePoints(lm), tmpl)
	if !ok {
		return affine{}, fmt.Errorf("face: align: degenerate landmarks")
	}
	// Invert x' = A·x + t: x = A⁻¹·(x' − t), A⁻¹ = [a b; −b a] / (a²+b²).
	k := 1 / (a*a + b*b)
	return affine{
		a: a * k, b: b * k, c: -(a*tx + b*ty) * k,
		d: -b * k, e: a * k, f: (b*tx - a*ty) * k,
	}, nil
}

// Embed returns the face's 512-d identity embedding, L2-normalised, so that
// Cosine of two embeddings is their dot product. The face is located with
// Landmarks, aligned on five points to 112×112 and fed to fr_feature as RGB
// (v−127)/128. Embeddings are biometric data: keep them no longer than the
// comparison that needs them.
func (e *Engine) Embed(img image.Image, f Face) ([]float32, error) {
	lm, err := e.Landmarks(img, f)
	if err != nil {
		return nil, err
	}
	return e.EmbedLandmarks(img, lm)
}

// EmbedLandmarks is Embed for a face whose landmarks the caller already has
// (Landmarks of the same image and face): the same embedding without
// running the landmark model again.
func (e *Engine) EmbedLandmarks(img image.Image, lm [68]Point) ([]float32, error) {
	m, err := alignment(lm)
	if err != nil {
		return nil, err
	}
	out, err := e.infer(Feature, featureInput(pixelsOf(img), m))
	if err != nil {
		return nil, err
	}
	v := out[0]
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n == 0 {
		return nil, fmt.Errorf("face: embed: zero embedding")
	}
	inv := float32(1 / math.Sqrt(n))
	for i := range v {
		v[i] *= inv
	}
	return v, nil
}

// featureInput fills the feature model's input: the face aligned by m at
// 112×112, as RGB (v−127)/128.
func featureInput(px *pixels, m affine) func(in []float32) {
	return func(in []float32) { px.crop(m, alignSize, alignSize, centredRGB(in)) }
}

// Cosine is the cosine similarity of two embeddings, in [−1, 1]; 0 when
// either is zero or their lengths differ.
func Cosine(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}
