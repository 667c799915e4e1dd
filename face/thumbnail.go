package face

import "image"

// Thumbnail is the face's box rendered as a size×size grey crop (values
// 0–255), to compare frames with each other: a camera never delivers the
// same pixels twice, so two frames whose thumbnails barely differ are one
// picture sent twice.
func Thumbnail(img image.Image, f Face, size int) []float32 {
	out := make([]float32, size*size)
	if size <= 0 || f.Box.area() == 0 {
		return out
	}
	pixelsOf(img).crop(boxView(f.Box.X1, f.Box.Y1, f.Box.X2, f.Box.Y2, size, size), size, size,
		func(i int, R, G, B float32) { out[i] = grey(R, G, B) })
	return out
}

// MeanAbsDiff is the mean absolute difference of two thumbnails of the same
// size, in grey levels; −1 when their sizes differ.
func MeanAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return -1
	}
	var s float64
	for i := range a {
		d := float64(a[i] - b[i])
		if d < 0 {
			d = -d
		}
		s += d
	}
	return s / float64(len(a))
}
