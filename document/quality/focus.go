package quality

import "github.com/idv-oss/idv/document/raster"

// Focus is the variance of the 4-neighbour Laplacian of p over its
// interior: high when edges are crisp, low when the picture is blurred.
// It depends on scale, which is why Check measures it at a fixed width.
func Focus(p *raster.Plane) float64 {
	if p.W < 3 || p.H < 3 {
		return 0
	}
	var sum, sq float64
	n := 0
	for y := 1; y < p.H-1; y++ {
		for x := 1; x < p.W-1; x++ {
			i := y*p.W + x
			l := float64(p.Pix[i-1] + p.Pix[i+1] + p.Pix[i-p.W] + p.Pix[i+p.W] - 4*p.Pix[i])
			sum += l
			sq += l * l
			n++
		}
	}
	mean := sum / float64(n)
	return sq/float64(n) - mean*mean
}
