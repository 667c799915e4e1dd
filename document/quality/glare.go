package quality

import (
	"github.com/idv-oss/idv/document/raster"
)

// glare returns the fraction of the image (its r, g, b planes) covered by blobs of saturated pixels
// (all channels at least cfg.GlareLevel) each at least cfg.MinGlareBlob of
// the image: a reflection burns out a patch, while white print or a
// highlight on one letter is only a speck.
func glare(r, g, b *raster.Plane, cfg Config) float64 {
	level := float32(cfg.GlareLevel)
	mask := make([]bool, len(r.Pix))
	for i := range mask {
		mask[i] = r.Pix[i] >= level && g.Pix[i] >= level && b.Pix[i] >= level
	}
	total := len(mask)
	if total == 0 {
		return 0
	}
	minBlob := int(cfg.MinGlareBlob * float64(total))
	covered := 0
	for _, size := range blobs(mask, r.W, r.H) {
		if size >= max(minBlob, 1) {
			covered += size
		}
	}
	return float64(covered) / float64(total)
}

// blobs returns the sizes of the 4-connected components of mask (w×h). It
// clears mask as it goes.
func blobs(mask []bool, w, h int) []int {
	var sizes []int
	stack := make([]int, 0, 64)
	for start, on := range mask {
		if !on {
			continue
		}
		mask[start] = false
		stack = append(stack[:0], start)
		size := 0
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size++
			x, y := i%w, i/w
			for _, n := range [4][3]int{{x - 1, y, i - 1}, {x + 1, y, i + 1}, {x, y - 1, i - w}, {x, y + 1, i + w}} {
				if n[0] >= 0 && n[0] < w && n[1] >= 0 && n[1] < h && mask[n[2]] {
					mask[n[2]] = false
					stack = append(stack, n[2])
				}
			}
		}
		sizes = append(sizes, size)
	}
	return sizes
}
