package quality

import (
	"math"

	"github.com/idv-oss/idv/document/raster"
)

// inFrame judges whether the document lies whole inside the picture, from
// two measures per side: the share of strong edges in a band along the
// border (borderEdges) and the longest straight edge running along that
// side in its outer third (cardEdges). A side is cut when its band is
// crowded with edges (cfg.MaxBorderEdges), or when it shows no edge of the
// document (cfg.MinCardEdge) while content still crosses its band
// (cfg.MinCutEdges). A cut through a blank strip of the document, with
// nothing crossing the border, cannot be told from a plain background.
func inFrame(p *raster.Plane, cfg Config, m *Measures) bool {
	band := borderEdges(p, cfg.BorderBand, cfg.EdgeStrength)
	card := cardEdges(p, cfg.EdgeStrength)
	ok := true
	m.CardEdge = 1
	for s := range band {
		m.BorderEdges = max(m.BorderEdges, band[s])
		m.CardEdge = min(m.CardEdge, card[s])
		if band[s] > cfg.MaxBorderEdges || card[s] < cfg.MinCardEdge && band[s] > cfg.MinCutEdges {
			ok = false
		}
	}
	return ok
}

// borderEdges returns, for each side of p (left, right, top, bottom), the
// fraction of a band along it (band × the shorter side deep) that is strong
// edges. A document photographed whole sits on a background with its edges
// inside the picture; one that is cut off runs its text, photo and card
// edge through the border, and the band on that side fills with edges.
func borderEdges(p *raster.Plane, band, strength float64) [4]float64 {
	var out [4]float64
	if p.W < 8 || p.H < 8 {
		return out
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
	for s := range count {
		if total[s] > 0 {
			out[s] = float64(count[s]) / float64(total[s])
		}
	}
	return out
}

// cardEdges reports, for each side of p (left, right, top, bottom), the
// longest straight edge running along it (within ±5°) in the outer third of
// the picture on that side, as a fraction of the side's length: a document
// photographed whole shows its own edge there, one that runs off the
// picture does not.
func cardEdges(p *raster.Plane, strength float64) [4]float64 {
	var out [4]float64
	if p.W < 8 || p.H < 8 {
		return out
	}
	s2 := float32(strength * strength)
	// Strong edge pixels, split by direction: a horizontal edge (bright
	// above, dark below or the reverse) has a large vertical gradient.
	var hx, hy, vx, vy []float64
	for y := 1; y < p.H-1; y++ {
		for x := 1; x < p.W-1; x++ {
			i := y*p.W + x
			gx := p.Pix[i-p.W+1] + 2*p.Pix[i+1] + p.Pix[i+p.W+1] - p.Pix[i-p.W-1] - 2*p.Pix[i-1] - p.Pix[i+p.W-1]
			gy := p.Pix[i+p.W-1] + 2*p.Pix[i+p.W] + p.Pix[i+p.W+1] - p.Pix[i-p.W-1] - 2*p.Pix[i-p.W] - p.Pix[i-p.W+1]
			if gx*gx+gy*gy < s2 {
				continue
			}
			switch {
			case abs(gy) >= 2*abs(gx):
				hx, hy = append(hx, float64(x)), append(hy, float64(y))
			case abs(gx) >= 2*abs(gy):
				vx, vy = append(vx, float64(x)), append(vy, float64(y))
			}
		}
	}
	third := func(v, size float64) int {
		switch {
		case v < size/3:
			return 0
		case v >= size*2/3:
			return 1
		}
		return -1
	}
	// Vertical edges for left and right, horizontal ones for top and
	// bottom: positions along the edge in along, across it in across.
	for k, dir := range []struct {
		along, across []float64
		length, depth float64
	}{{vy, vx, float64(p.H), float64(p.W)}, {hx, hy, float64(p.W), float64(p.H)}} {
		for side := range 2 {
			out[2*k+side] = longestLine(dir.along, dir.across, dir.length, dir.depth, func(a float64) bool {
				return third(a, dir.depth) == side
			})
		}
	}
	return out
}

// longestLine projects the points whose across-coordinate passes in along
// lines tilted up to ±5° and returns the fullest line's share of length.
func longestLine(along, across []float64, length, depth float64, in func(float64) bool) float64 {
	slack := length * math.Tan(5*math.Pi/180)
	bins := make([]float64, int(depth+2*slack)+2)
	best := 0.0
	for deg := -5.0; deg <= 5; deg += 0.5 {
		t := math.Tan(deg * math.Pi / 180)
		clear(bins)
		for i := range along {
			if !in(across[i]) {
				continue
			}
			if b := int(across[i] + along[i]*t + slack); b >= 0 && b < len(bins) {
				bins[b]++
			}
		}
		// An edge is about two pixels thick after the Sobel operator.
		for b := 0; b+1 < len(bins); b++ {
			best = max(best, (bins[b]+bins[b+1])/2)
		}
	}
	return best / length
}

func abs(v float32) float32 { return max(v, -v) }
