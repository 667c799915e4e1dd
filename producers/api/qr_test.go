package api

import (
	"image"
	"image/color"
	"testing"

	qr "github.com/piglig/go-qr"
)

// The rows the page draws are a QR code a phone reads back as the link.
func TestQRRowsReadBack(t *testing.T) {
	const link = "https://idv.example.test/h/K7Q2-M9XD-2HTP-WR4B"
	rows, err := qrRows(link)
	if err != nil {
		t.Fatal(err)
	}
	const scale, quiet = 6, 4
	size := len(rows)
	img := image.NewGray(image.Rect(0, 0, (size+2*quiet)*scale, (size+2*quiet)*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y, row := range rows {
		if len(row) != size {
			t.Fatalf("row %d has %d modules, want %d", y, len(row), size)
		}
		for x := range row {
			if row[x] != '1' {
				continue
			}
			for dy := range scale {
				for dx := range scale {
					img.SetGray((x+quiet)*scale+dx, (y+quiet)*scale+dy, color.Gray{})
				}
			}
		}
	}
	got, err := qr.Decode(img)
	if err != nil || got != link {
		t.Fatalf("decoded %q, %v; want %q", got, err, link)
	}
}
