//go:build unix

package framecheck_test

import (
	"image"
	"syscall"
	"testing"
	"time"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/framecheck"
	"github.com/idv-oss/idv/document/framecheck/framechecktest"
	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/document/quality"
	"github.com/idv-oss/idv/imagegate"
)

// BenchmarkEngine times the document check's engine work on one capture
// as consumers/doccheck does it, step by step and whole: the front the
// load generator sends (cardimage.SpecimenPhoto: a phone photo of the
// specimen card, JPEG of quality 90, 1219×840; a drawn head for the
// portrait) decoded by the gate ("decode"), the quality gates on the
// decoded image ("gates"), the OCR-B read of its MRZ ("read"), the
// comparison with the app's MRZ text ("compare"), framecheck's Check
// (gates, read, trust rule, parse: "check"), and all of it from the JPEG's
// bytes ("stage": decode, Check, Compare), which is what the stage spends
// on a document besides storage and sealing. Besides the wall time each
// reports the process's CPU time per operation (cpu-ns/op, the garbage
// collector's included), which a shared machine disturbs less.
func BenchmarkEngine(b *testing.B) {
	text := mrz.SpecimenTD1(framechecktest.Day)
	jpg, err := cardimage.SpecimenPhoto(text, nil, 0)
	if err != nil {
		b.Fatal(err)
	}
	img := decode(b, jpg)
	r, err := ocrb.NewReader()
	if err != nil {
		b.Fatal(err)
	}
	read, err := r.Read(img)
	if err != nil {
		b.Fatal(err)
	}
	c := framecheck.New(r, framecheck.Config{Gates: true})
	b.Run("decode", func(b *testing.B) {
		loop(b, func() { decode(b, jpg) })
	})
	b.Run("gates", func(b *testing.B) {
		loop(b, func() {
			if reasons, _ := quality.Check(img, quality.Config{}); len(reasons) > 0 {
				b.Fatal(reasons)
			}
		})
	})
	b.Run("read", func(b *testing.B) {
		loop(b, func() {
			if _, err := r.Read(img); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("compare", func(b *testing.B) {
		loop(b, func() {
			if c := ocrb.Compare(read, text, ocrb.CompareConfig{}); len(c.Reasons) > 0 {
				b.Fatal(c.Reasons)
			}
		})
	})
	b.Run("check", func(b *testing.B) {
		loop(b, func() {
			if res := c.Check(framechecktest.Day, img); !res.MRZ.Parsed {
				b.Fatalf("%+v", res)
			}
		})
	})
	b.Run("stage", func(b *testing.B) {
		loop(b, func() {
			res := c.Check(framechecktest.Day, decode(b, jpg))
			if cmp := ocrb.Compare(res.Read, text, ocrb.CompareConfig{}); !res.Passed || len(cmp.Reasons) > 0 {
				b.Fatalf("%+v %v", res, cmp.Reasons)
			}
		})
	})
}

// decode passes jpg through the stage's gate.
func decode(tb testing.TB, jpg []byte) image.Image {
	tb.Helper()
	img, reason := imagegate.Decode(jpg, imagegate.DefaultMaxPixels)
	if reason != "" {
		tb.Fatal(reason)
	}
	return img
}

// loop runs f as b's loop and reports the process's CPU time per run.
func loop(b *testing.B, f func()) {
	start := cpuTime()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time, user and system, the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
