package quality

import (
	"math"

	"github.com/idv-oss/idv/consumers/doccheck/raster"
)

// borderEdges returns, over the four sides of p, the largest fraction of a
// side's band (band × the shorter side deep) that is strong edges. A
// document photographed whole sits on a background with its edges inside
// the picture; one that is cut off runs its text, photo and card edge
// through the border, and the band on that side fills with edges. It cannot
// tell a busy background from a cut-off document, so its threshold is loose:
// it is a gate for the obvious case.
func borderEdges(p *raster.Plane, band, strength float64) float64 {
	if p.W < 8 || p.H < 8 {
		return 0
	}
	d := max(int(math.Round(band*float64(min(p.W, p.H)))), 2)
	// count[side] strong pixels of total[side]: left, right, top, bottom.
	var count, total [4]int
	s2 := float32(strength * strength)
	for y := 1; y < p.H-1; y++ {
		for x := 1; x < p.W-1; x++ {
			sides := [4]bool{x <= d, x >= p.W-1-d, y <= d, y >= p.H-1-d}
			if !sides[0] && !sides[1] && !sides[2] && !sides[3] {
				x = p.W - 2 - d // skip the interior of the row
				continue
			}
			gx := p.At(x+1, y-1) + 2*p.At(x+1, y) + p.At(x+1, y+1) - p.At(x-1, y-1) - 2*p.At(x-1, y) - p.At(x-1, y+1)
			gy := p.At(x-1, y+1) + 2*p.At(x, y+1) + p.At(x+1, y+1) - p.At(x-1, y-1) - 2*p.At(x, y-1) - p.At(x+1, y-1)
			strong := gx*gx+gy*gy >= s2
			for s, in := range sides {
				if in {
					total[s]++
					if strong {
						count[s]++
					}
				}
			}
		}
	}
	worst := 0.0
	for s := range count {
		if total[s] > 0 {
			worst = max(worst, float64(count[s])/float64(total[s]))
		}
	}
	return worst
}
