package fastjpeg

import (
	"math/rand/v2"
	"testing"
)

// TestIDCTShortcuts: the rows and columns idct skips or fills give what
// the full passes give, for blocks of every shape the shortcuts take
// (zero rows, DC-only rows, only the first row) and coefficients up to
// overflowing int32, as corrupt or 16-bit-table input makes them.
func TestIDCTShortcuts(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	coef := func() int32 {
		switch rng.IntN(4) {
		case 0:
			return rng.Int32N(2048) - 1024
		case 1:
			return rng.Int32N(65536*255) - 65536*127
		case 2:
			return rng.Int32()
		}
		return rng.Int32N(64) - 32
	}
	for i := range 200_000 {
		var b block
		b.rows = uint8(rng.IntN(256)) | 1
		if i%4 == 0 {
			b.rows = 1
		}
		for r := range 8 {
			if b.rows&(1<<r) == 0 {
				continue
			}
			b.c[8*r] = coef()
			if rng.IntN(3) > 0 {
				b.acRows |= 1 << r
				for c := 1 + rng.IntN(7); c < 8; c += 1 + rng.IntN(4) {
					b.c[8*r+c] = coef()
				}
			}
		}
		full := b
		full.rows, full.acRows = 0xff, 0xff
		var got, want [64]byte
		idct(&b, got[:], 8)
		idct(&full, want[:], 8)
		if got != want {
			t.Fatalf("block %d (rows %08b, AC rows %08b): %v, the full passes give %v", i, b.rows, b.acRows, got, want)
		}
	}
}
