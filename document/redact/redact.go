// Package redact makes the redacted copy of a document photo that a tenant
// may keep instead of the photo itself (the Dutch KopieID practice): the
// portrait and the personal number, in the MRZ and printed (in the
// Netherlands the BSN, which art. 46 UAVG lets only a law-mandated party
// process) blacked out, and a watermark across the whole picture naming the copy's purpose, its
// recipient and the date, so the copy cannot pass for the document or be
// reused elsewhere unnoticed.
//
// Everything here is a pure function of a decoded image: finding the zones
// (zones.go) — the portrait, the MRZ's number cells, and the number zones
// of the visual inspection zone by the document's layout (layout.go) on
// the document located from its MRZ (frame.go) —, blacking them out
// (mask.go), stamping the watermark (watermark.go) and encoding the result
// as a JPEG (Copy).
package redact

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"time"
)

// Watermark says what a copy is for, who holds it and since when.
type Watermark struct {
	Purpose   string // e.g. "identiteitscontrole"
	Recipient string // the tenant's name
	Date      time.Time
}

// Text is the watermark's text: "KOPIE — <purpose> — <recipient> —
// <date>", the date as YYYY-MM-DD in UTC.
func (w Watermark) Text() string {
	return fmt.Sprintf("KOPIE — %s — %s — %s", w.Purpose, w.Recipient, w.Date.UTC().Format(time.DateOnly))
}

// Quality is the JPEG quality of a copy: enough to read the remaining
// print, no more (a copy is evidence, not a scan to reprint from).
const Quality = 85

// Copy returns img with the zones blacked out (each grown by a margin of
// about 1 % of the image's longer side) and the watermark stamped across
// it, as a JPEG. img itself is not changed.
func Copy(img image.Image, zones []image.Rectangle, wm Watermark) ([]byte, error) {
	b := img.Bounds()
	out := Mask(img, zones, Margin(b))
	if err := Stamp(out, wm.Text()); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: Quality}); err != nil {
		return nil, fmt.Errorf("redact: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// Margin is how far Copy grows each zone: about 1 % of the image's longer
// side, at least 4 pixels, so a zone found a little off still covers what
// it should.
func Margin(b image.Rectangle) int {
	return max(4, max(b.Dx(), b.Dy())/100)
}
