package quality

import (
	"math"

	"github.com/idv-oss/idv/document/raster"
)

// Colourfulness is the spread of the opponent colour channels rg = R−G and
// yb = (R+G)/2 − B: sqrt(σ²rg + σ²yb). A greyscale image measures 0 whatever
// its tint, because a uniform cast moves the means, not the spread; a
// photographed identity document, with its coloured guilloches, portrait
// and flag, measures well above it.
func Colourfulness(r, g, b *raster.Plane) float64 {
	var srg, syb, qrg, qyb float64
	n := float64(len(r.Pix))
	if n == 0 {
		return 0
	}
	for i := range r.Pix {
		rg := float64(r.Pix[i] - g.Pix[i])
		yb := float64((r.Pix[i]+g.Pix[i])/2 - b.Pix[i])
		srg += rg
		syb += yb
		qrg += rg * rg
		qyb += yb * yb
	}
	vrg := qrg/n - (srg/n)*(srg/n)
	vyb := qyb/n - (syb/n)*(syb/n)
	return math.Sqrt(max(vrg, 0) + max(vyb, 0))
}
