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
	e := findEdges(p, cfg.BorderBand, cfg.EdgeStrength)
	band, card := e.borderEdges(), e.cardEdges(p)
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

// Sides of the picture, in the order of the measures' arrays.
const (
	left = iota
	right
	top
	bottom
)

// edges are the strong edges (Sobel, gradient magnitude at least the
// strength) of a plane's interior, as the two frame measures need them.
type edges struct {
	// count[side] of total[side] pixels in a band along that side are
	// strong edges.
	count, total [4]int
	// lines[side] are the strong edge pixels in the outer third of the
	// picture on that side whose edge runs along it: vertical edges on
	// the left and right, horizontal ones at the top and bottom.
	lines [4][]point
}

// point is an edge pixel's position along its side and across it.
type point struct{ along, across float64 }

// findEdges computes the Sobel gradient of p's interior once, for both
// measures: a band (band × the shorter side deep) along each side, and
// the edges of the outer thirds. A plane under 8 pixels a side has none.
func findEdges(p *raster.Plane, band, strength float64) *edges {
	e := &edges{}
	if p.W < 8 || p.H < 8 {
		return e
	}
	d := max(int(math.Round(band*float64(min(p.W, p.H)))), 2)
	s2 := float32(strength * strength)
	w, h := float64(p.W), float64(p.H)
	for y := 1; y < p.H-1; y++ {
		inTop, inBottom := y <= d, y >= p.H-1-d
		fy := float64(y)
		for x := 1; x < p.W-1; x++ {
			i := y*p.W + x
			gx := p.Pix[i-p.W+1] + 2*p.Pix[i+1] + p.Pix[i+p.W+1] - p.Pix[i-p.W-1] - 2*p.Pix[i-1] - p.Pix[i+p.W-1]
			gy := p.Pix[i+p.W-1] + 2*p.Pix[i+p.W] + p.Pix[i+p.W+1] - p.Pix[i-p.W-1] - 2*p.Pix[i-p.W] - p.Pix[i-p.W+1]
			strong := gx*gx+gy*gy >= s2
			if x <= d || x >= p.W-1-d || inTop || inBottom {
				e.inBand([4]bool{x <= d, x >= p.W-1-d, inTop, inBottom}, strong)
			}
			if !strong {
				continue
			}
			fx := float64(x)
			// A horizontal edge (bright above, dark below or the
			// reverse) has a large vertical gradient.
			switch {
			case abs(gy) >= 2*abs(gx):
				e.addLine(top, bottom, fy, h, point{along: fx, across: fy})
			case abs(gx) >= 2*abs(gy):
				e.addLine(left, right, fx, w, point{along: fy, across: fx})
			}
		}
	}
	return e
}

// inBand counts a pixel of the bands of the sides it is in.
func (e *edges) inBand(sides [4]bool, strong bool) {
	for s, in := range sides {
		if in {
			e.total[s]++
			if strong {
				e.count[s]++
			}
		}
	}
}

// addLine files an edge pixel under the near side when v, its position
// across the side, lies in the first third of size, under the far side in
// the last third, and nowhere in between.
func (e *edges) addLine(near, far int, v, size float64, pt point) {
	switch {
	case v < size/3:
		e.lines[near] = append(e.lines[near], pt)
	case v >= size*2/3:
		e.lines[far] = append(e.lines[far], pt)
	}
}

// borderEdges returns, for each side of the picture (left, right, top,
// bottom), the fraction of a band along it that is strong edges. A
// document photographed whole sits on a background with its edges inside
// the picture; one that is cut off runs its text, photo and card edge
// through the border, and the band on that side fills with edges.
func (e *edges) borderEdges() [4]float64 {
	var out [4]float64
	for s := range e.count {
		if e.total[s] > 0 {
			out[s] = float64(e.count[s]) / float64(e.total[s])
		}
	}
	return out
}

// cardEdges reports, for each side of p (left, right, top, bottom), the
// longest straight edge running along it (within ±5°) in the outer third of
// the picture on that side, as a fraction of the side's length: a document
// photographed whole shows its own edge there, one that runs off the
// picture does not.
func (e *edges) cardEdges(p *raster.Plane) [4]float64 {
	var out [4]float64
	if p.W < 8 || p.H < 8 {
		return out
	}
	w, h := float64(p.W), float64(p.H)
	out[left] = longestLine(e.lines[left], h, w)
	out[right] = longestLine(e.lines[right], h, w)
	out[top] = longestLine(e.lines[top], w, h)
	out[bottom] = longestLine(e.lines[bottom], w, h)
	return out
}

// longestLine projects the points along lines tilted up to ±5° and returns
// the fullest line's share of length; depth is the picture's size across
// the lines.
func longestLine(pts []point, length, depth float64) float64 {
	slack := length * math.Tan(5*math.Pi/180)
	bins := make([]int32, int(depth+2*slack)+2)
	best := int32(0)
	for deg := -5.0; deg <= 5; deg += 0.5 {
		t := math.Tan(deg * math.Pi / 180)
		clear(bins)
		for _, pt := range pts {
			if b := int(pt.across + pt.along*t + slack); b >= 0 && b < len(bins) {
				bins[b]++
			}
		}
		// An edge is about two pixels thick after the Sobel operator.
		for b := 0; b+1 < len(bins); b++ {
			best = max(best, bins[b]+bins[b+1])
		}
	}
	return float64(best) / 2 / length
}

func abs(v float32) float32 { return max(v, -v) }
