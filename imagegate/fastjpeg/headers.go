package fastjpeg

import "image"

// Markers, as the JPEG standard (ITU T.81, table B.1) numbers them.
const (
	markerSOF0  = 0xc0 // baseline sequential
	markerSOF1  = 0xc1 // extended sequential
	markerDHT   = 0xc4
	markerRST0  = 0xd0
	markerSOI   = 0xd8
	markerEOI   = 0xd9
	markerSOS   = 0xda
	markerDQT   = 0xdb
	markerDRI   = 0xdd
	markerAPP0  = 0xe0
	markerAPP14 = 0xee // Adobe's: its colour transforms are left to image/jpeg
	markerAPP15 = 0xef
	markerCOM   = 0xfe
)

// component is one colour component of the frame.
type component struct {
	id     byte
	h, v   int // sampling factors
	tq     int // quantisation table
	td, ta int // the scan's DC and AC Huffman tables
}

// decoder holds what the headers set and the image being decoded.
type decoder struct {
	data []byte
	pos  int // next byte of data to read

	width, height int
	baseline      bool
	comps         []component
	scan          []int // indexes into comps, in the scan's order
	quant         [4][64]int32
	huff          [2][4]huffman // [class: DC, AC][id]
	restart       int           // MCUs per restart interval, 0 for none
	mxx, myy      int           // MCUs across and down

	gray   *image.Gray
	ycc    *image.YCbCr
	planes [3]plane // each component's, in the image
}

// plane is one component's samples in the image and the bytes a row.
type plane struct {
	pix    []byte
	stride int
}

// readHeaders reads the segments from SOI to the scan's first byte: the
// tables, the frame, the restart interval and the scan header. It declines
// anything image/jpeg reads differently from a plain sequence of segments
// (see the package comment).
func (d *decoder) readHeaders() error {
	if len(d.data) < 2 || d.data[0] != 0xff || d.data[1] != markerSOI {
		return errFallback
	}
	d.pos = 2
	for {
		marker, body, err := d.segment()
		if err != nil {
			return err
		}
		if marker == markerSOS {
			return d.readScanHeader(body)
		}
		if err := d.readSegment(marker, body); err != nil {
			return err
		}
	}
}

// segment reads the next marker and, for every marker but SOI, EOI and
// RSTn (which have none, and which only image/jpeg reads here), its body.
func (d *decoder) segment() (byte, []byte, error) {
	if d.pos+4 > len(d.data) || d.data[d.pos] != 0xff {
		return 0, nil, errFallback
	}
	marker := d.data[d.pos+1]
	if marker == 0 || marker == 0xff || marker == markerSOI || marker == markerEOI ||
		(marker >= markerRST0 && marker < markerSOI) {
		return 0, nil, errFallback
	}
	n := int(d.data[d.pos+2])<<8 | int(d.data[d.pos+3])
	if n < 2 || d.pos+2+n > len(d.data) {
		return 0, nil, errFallback
	}
	body := d.data[d.pos+4 : d.pos+2+n]
	d.pos += 2 + n
	return marker, body, nil
}

// readSegment reads one segment before the scan.
func (d *decoder) readSegment(marker byte, body []byte) error {
	switch {
	case marker == markerSOF0 || marker == markerSOF1:
		return d.readFrame(marker, body)
	case marker == markerDHT:
		return d.readHuffmanTables(body)
	case marker == markerDQT:
		return d.readQuantTables(body)
	case marker == markerDRI:
		if len(body) != 2 {
			return errFallback
		}
		d.restart = int(body[0])<<8 | int(body[1])
		return nil
	case marker == markerAPP14:
		return errFallback // Adobe's colour transform
	case marker >= markerAPP0 && marker <= markerAPP15, marker == markerCOM:
		return nil
	}
	return errFallback
}

// readFrame reads SOF0 or SOF1: 8-bit samples, one component (grey) or
// three (YCbCr) whose sampling image/jpeg supports.
func (d *decoder) readFrame(marker byte, b []byte) error {
	if d.comps != nil || (len(b) != 6+3*1 && len(b) != 6+3*3) || b[0] != 8 || int(b[5])*3+6 != len(b) {
		return errFallback
	}
	d.baseline = marker == markerSOF0
	d.height = int(b[1])<<8 | int(b[2])
	d.width = int(b[3])<<8 | int(b[4])
	if d.width == 0 || d.height == 0 {
		return errFallback
	}
	n := int(b[5])
	d.comps = make([]component, n)
	for i := range d.comps {
		c := &d.comps[i]
		c.id, c.h, c.v, c.tq = b[6+3*i], int(b[7+3*i]>>4), int(b[7+3*i]&0x0f), int(b[8+3*i])
		for _, o := range d.comps[:i] {
			if o.id == c.id {
				return errFallback
			}
		}
		if c.tq > 3 || c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.h == 3 || c.v == 3 {
			return errFallback
		}
	}
	if n == 1 {
		d.comps[0].h, d.comps[0].v = 1, 1 // one component is never interleaved
		return nil
	}
	return d.checkSampling()
}

// checkSampling accepts the YCbCr samplings image/jpeg supports, and
// declines components named R, G and B, which it reads as RGB.
func (d *decoder) checkSampling() error {
	y, cb, cr := d.comps[0], d.comps[1], d.comps[2]
	if y.v == 4 || y.h%cb.h != 0 || y.v%cb.v != 0 || cr.h != cb.h || cr.v != cb.v {
		return errFallback
	}
	if y.id == 'R' && cb.id == 'G' && cr.id == 'B' {
		return errFallback
	}
	return nil
}

// readQuantTables reads DQT: 8- or 16-bit tables, kept in zig-zag order.
func (d *decoder) readQuantTables(b []byte) error {
	for len(b) > 0 {
		pq, tq := b[0]>>4, b[0]&0x0f
		if tq > 3 || pq > 1 {
			return errFallback
		}
		size := 64 << pq
		if len(b) < 1+size {
			return errFallback
		}
		q := &d.quant[tq]
		for i := range q {
			if pq == 0 {
				q[i] = int32(b[1+i])
			} else {
				q[i] = int32(b[1+2*i])<<8 | int32(b[2+2*i])
			}
		}
		b = b[1+size:]
	}
	return nil
}

// readHuffmanTables reads DHT.
func (d *decoder) readHuffmanTables(b []byte) error {
	for len(b) > 0 {
		if len(b) < 17 {
			return errFallback
		}
		tc, th := b[0]>>4, int(b[0]&0x0f)
		if tc > 1 || th > 3 || (d.baseline && th > 1) {
			return errFallback
		}
		var counts [16]int
		total := 0
		for i := range counts {
			counts[i] = int(b[1+i])
			total += counts[i]
		}
		if total == 0 || total > 256 || len(b) < 17+total {
			return errFallback
		}
		h := &d.huff[tc][th]
		if err := h.build(counts, b[17:17+total]); err != nil {
			return err
		}
		if tc == 1 {
			h.buildFastAC()
		}
		b = b[17+total:]
	}
	return nil
}

// readScanHeader reads SOS: a scan of every component of the frame, each
// once, with tables a baseline frame allows. Spectral selection and
// successive approximation mean nothing in a sequential scan and are
// ignored, as image/jpeg ignores them.
func (d *decoder) readScanHeader(b []byte) error {
	if d.comps == nil || len(b) < 1 || int(b[0]) != len(d.comps) || len(b) != 4+2*len(d.comps) {
		return errFallback
	}
	totalHV := 0
	d.scan = make([]int, len(d.comps))
	for i := range d.scan {
		ci := d.componentIndex(b[1+2*i])
		if ci < 0 {
			return errFallback
		}
		for _, prev := range d.scan[:i] {
			if prev == ci {
				return errFallback
			}
		}
		c := &d.comps[ci]
		c.td, c.ta = int(b[2+2*i]>>4), int(b[2+2*i]&0x0f)
		if c.td > 3 || c.ta > 3 || (d.baseline && (c.td > 1 || c.ta > 1)) {
			return errFallback
		}
		if !d.huff[0][c.td].defined || !d.huff[1][c.ta].defined {
			return errFallback
		}
		d.scan[i] = ci
		totalHV += c.h * c.v
	}
	if len(d.comps) > 1 && totalHV > 10 {
		return errFallback
	}
	return nil
}

func (d *decoder) componentIndex(id byte) int {
	for i, c := range d.comps {
		if c.id == id {
			return i
		}
	}
	return -1
}

// makeImage allocates the image as image/jpeg does: whole MCUs, the
// image's own rectangle a sub-image of them.
func (d *decoder) makeImage() {
	h0, v0 := d.comps[0].h, d.comps[0].v
	d.mxx = (d.width + 8*h0 - 1) / (8 * h0)
	d.myy = (d.height + 8*v0 - 1) / (8 * v0)
	visible := image.Rect(0, 0, d.width, d.height)
	if len(d.comps) == 1 {
		d.gray = image.NewGray(image.Rect(0, 0, 8*d.mxx, 8*d.myy)).SubImage(visible).(*image.Gray)
		d.planes[0] = plane{d.gray.Pix, d.gray.Stride}
		return
	}
	ratio := subsampleRatio(h0/d.comps[1].h, v0/d.comps[1].v)
	d.ycc = image.NewYCbCr(image.Rect(0, 0, 8*h0*d.mxx, 8*v0*d.myy), ratio).SubImage(visible).(*image.YCbCr)
	d.planes = [3]plane{{d.ycc.Y, d.ycc.YStride}, {d.ycc.Cb, d.ycc.CStride}, {d.ycc.Cr, d.ycc.CStride}}
}

// subsampleRatio names the luma-to-chroma sampling checkSampling allowed.
func subsampleRatio(h, v int) image.YCbCrSubsampleRatio {
	switch h<<4 | v {
	case 0x12:
		return image.YCbCrSubsampleRatio440
	case 0x21:
		return image.YCbCrSubsampleRatio422
	case 0x22:
		return image.YCbCrSubsampleRatio420
	case 0x41:
		return image.YCbCrSubsampleRatio411
	case 0x42:
		return image.YCbCrSubsampleRatio410
	}
	return image.YCbCrSubsampleRatio444
}
