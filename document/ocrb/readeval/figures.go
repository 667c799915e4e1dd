package readeval

import (
	"strings"
	"time"

	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/document/ocrb"
)

// Outcome is how one reading of a sample went.
type Outcome struct {
	// Exact: the text read is the MRZ's.
	Exact bool
	// Trusted: the reading could stand alone as the MRZ, as the server
	// takes it when the app sends no text: ocrb.Trusted, and the text
	// parses (check digits included).
	Trusted bool
	// TrustedWrong: trusted, yet not the MRZ's text. A person's document
	// would be taken for another's; this must never happen.
	TrustedWrong bool
	// Chars is the MRZ's characters, CharsRight those read right in
	// their place.
	Chars, CharsRight int
	// Right and Wrong are what the reader said of the characters it read
	// right and wrong in their place.
	Right, Wrong Confidences
}

// Judge compares a reading with the MRZ it should be (read nil: no MRZ
// found). now decides the century of the date of birth (mrz.ParseAt).
func Judge(want []string, read *ocrb.Result, now time.Time) Outcome {
	var o Outcome
	for _, l := range want {
		o.Chars += len(l)
	}
	if read == nil {
		return o
	}
	truth := strings.Join(want, "\n")
	o.Exact = read.Text() == truth
	for i, l := range want {
		if i >= len(read.Lines) {
			break
		}
		g := read.Lines[i]
		for j := 0; j < len(l) && j < len(g); j++ {
			if l[j] == g[j].Char {
				o.CharsRight++
				o.Right.add(g[j])
			} else {
				o.Wrong.add(g[j])
			}
		}
	}
	if text, ok := ocrb.Trusted(read); ok {
		if _, err := mrz.ParseAt(text, now); err == nil {
			o.Trusted = true
			o.TrustedWrong = text != truth
		}
	}
	return o
}

// Figures sum the outcomes of one degradation's samples.
type Figures struct {
	Degradation  Degradation
	Samples      int
	Exact        int
	Trusted      int
	TrustedWrong int
	Chars        int
	CharsRight   int
	Right, Wrong Confidences
	// Reading is the time spent reading, all samples together.
	Reading time.Duration
}

// Add counts one sample's outcome and the time its reading took.
func (f *Figures) Add(o Outcome, took time.Duration) {
	f.Samples++
	f.Chars += o.Chars
	f.CharsRight += o.CharsRight
	f.Reading += took
	f.Right.merge(o.Right)
	f.Wrong.merge(o.Wrong)
	if o.Exact {
		f.Exact++
	}
	if o.Trusted {
		f.Trusted++
	}
	if o.TrustedWrong {
		f.TrustedWrong++
	}
}

// ExactRate is the percentage of samples read exactly.
func (f Figures) ExactRate() float64 { return percent(f.Exact, f.Samples) }

// TrustedRate is the percentage of samples whose reading could stand
// alone: the rest would be asked for a retake.
func (f Figures) TrustedRate() float64 { return percent(f.Trusted, f.Samples) }

// CharRate is the percentage of characters read right.
func (f Figures) CharRate() float64 { return percent(f.CharsRight, f.Chars) }

// PerRead is the mean time of one reading.
func (f Figures) PerRead() time.Duration { return f.Reading / time.Duration(max(f.Samples, 1)) }

func percent(n, of int) float64 { return 100 * float64(n) / float64(max(of, 1)) }
