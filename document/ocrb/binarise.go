package ocrb

import "github.com/idv-oss/idv/document/raster"

// darkRatio: a pixel is ink when it is darker than this fraction of its
// neighbourhood's mean. Printed MRZ ink is far darker than card stock; the
// pale guilloche behind it is not.
const darkRatio = 0.78

// binarise marks the pixels of p clearly darker than their surroundings
// (a square window of about win pixels), using an integral image so the
// window's size costs nothing.
func binarise(p *raster.Plane, win int) []bool {
	w, h := p.W, p.H
	sum := make([]float64, (w+1)*(h+1))
	for y := range h {
		var row float64
		for x := range w {
			row += float64(p.Pix[y*w+x])
			sum[(y+1)*(w+1)+x+1] = sum[y*(w+1)+x+1] + row
		}
	}
	r := max(win/2, 1)
	dark := make([]bool, w*h)
	for y := range h {
		y0, y1 := max(y-r, 0), min(y+r+1, h)
		for x := range w {
			x0, x1 := max(x-r, 0), min(x+r+1, w)
			s := sum[y1*(w+1)+x1] - sum[y0*(w+1)+x1] - sum[y1*(w+1)+x0] + sum[y0*(w+1)+x0]
			mean := s / float64((y1-y0)*(x1-x0))
			v := float64(p.Pix[y*w+x])
			dark[y*w+x] = v < darkRatio*mean && mean-v > 12
		}
	}
	return dark
}

// window is the binarisation window for a plane: about the pitch of a TD1
// MRZ spanning the plane's width.
func window(p *raster.Plane) int { return max(p.W/40, 9) }
