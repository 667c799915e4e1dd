package ocrb_test

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/document/ocrb/readeval"
)

// TestAccuracy holds the reader to floors on a few samples of each
// degradation: a change that makes it read worse fails here. The figures
// over more samples come from `idv eval mrz` and BenchmarkAccuracy.
func TestAccuracy(t *testing.T) {
	t.Parallel()
	r, err := ocrb.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	floors := map[string]struct{ char, exact float64 }{
		"clean": {100, 100}, "blur": {99, 66}, "lowres": {99, 66}, "rotate": {99, 66}, "jpeg": {99, 66},
		"blur3": {99, 66}, "lowres25": {99, 66}, "harsh": {99, 66}, "photo": {99, 66},
		"upside-down": {99, 66}, "heavy": {99, 66}, "thin": {99, 66}, "photo-heavy": {99, 66},
		"blur1": {99, 66}, "glare-haze": {99, 66}, "rotate1": {99, 66}, "rotate4": {99, 66},
		"jpeg70": {99, 66}, "jpeg50": {99, 66}, "jpeg15": {99, 66}, "lowres60": {99, 66}, "lowres30": {99, 66},
		// A burnt-out spot takes the characters under it: a third of
		// the cards read whole under the smaller, none under the larger.
		"glare1": {99, 33}, "glare2": {50, 0},
	}
	figs, err := readeval.Run(r, readeval.Degradations(), 3, 1, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range figs {
		name := f.Degradation.Name
		floor, ok := floors[name]
		if !ok {
			t.Errorf("%s: no floor", name)
			continue
		}
		if f.CharRate() < floor.char || f.ExactRate() < floor.exact {
			t.Errorf("%s: %.1f %% of characters, %.0f %% of MRZs exact; want at least %.0f %% and %.0f %%", name, f.CharRate(), f.ExactRate(), floor.char, floor.exact)
		}
	}
}

// TestTrustedNeverWrong: of the readings that could stand alone as the MRZ
// (ocrb.Trusted and the check digits), none is wrong, under any
// degradation, those past the reader's limits included. A trusted reading
// that is wrong would take a person's document for another's with nothing
// to compare it with.
func TestTrustedNeverWrong(t *testing.T) {
	t.Parallel()
	r, err := ocrb.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	const n, seed = 3, 2
	figs, err := readeval.Run(r, slices.Concat(readeval.Degradations(), readeval.Limits()), n, seed, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range figs {
		if f.TrustedWrong == 0 {
			continue
		}
		t.Errorf("%s: %d of %d readings trusted and wrong", f.Degradation.Name, f.TrustedWrong, f.Samples)
		smps, err := readeval.Samples(f.Degradation, n, seed)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range smps {
			if res, err := r.Read(s.Image); err == nil && res.Text() != strings.Join(s.Lines, "\n") {
				t.Logf("%s: read\n%s\nwant\n%s", f.Degradation.Name, res.Text(), strings.Join(s.Lines, "\n"))
			}
		}
	}
	// Trusting nothing would pass the rest: the clean cards must be.
	if figs[0].Degradation.Name != "clean" || figs[0].Trusted != n {
		t.Errorf("%s: %d of %d readings trusted; want every clean card", figs[0].Degradation.Name, figs[0].Trusted, n)
	}
}

// BenchmarkAccuracy reads 12 samples (4 each of TD1, TD2, TD3) per
// degradation per iteration and reports the share of characters read
// right (char%), of MRZs read exactly (exact%) and trusted to stand alone
// (trusted%), and the time per read. Run with -benchtime=1x for the
// figures alone.
func BenchmarkAccuracy(b *testing.B) {
	r, err := ocrb.NewReader()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for _, d := range slices.Concat(readeval.Degradations(), readeval.Limits()) {
		b.Run(d.Name, func(b *testing.B) {
			smps, err := readeval.Samples(d, 12, 100)
			if err != nil {
				b.Fatal(err)
			}
			var f readeval.Figures
			b.ResetTimer()
			for b.Loop() {
				for _, s := range smps {
					start := time.Now()
					res, err := r.Read(s.Image)
					took := time.Since(start)
					if err != nil {
						res = nil
					}
					f.Add(readeval.Judge(s.Lines, res, now), took)
				}
			}
			b.ReportMetric(f.CharRate(), "char%")
			b.ReportMetric(f.ExactRate(), "exact%")
			b.ReportMetric(f.TrustedRate(), "trusted%")
			b.ReportMetric(float64(f.PerRead().Nanoseconds()), "ns/read")
		})
	}
}

// BenchmarkRead is the time to find and read a clean TD3 MRZ in a photo of
// 1692×1248 pixels (the reader works at no more than 1600 pixels wide).
func BenchmarkRead(b *testing.B) {
	r, err := ocrb.NewReader()
	if err != nil {
		b.Fatal(err)
	}
	img, err := cardimage.Render([]string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
	}, cardimage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Read(img); err != nil {
			b.Fatal(err)
		}
	}
}
