package ocrb

import (
	"slices"
	"strings"
	"testing"
)

const (
	td3line1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
	td3line2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
	td3      = td3line1 + "\n" + td3line2
)

// result builds a reading of text, every character at confidence 0.95
// except those listed in low (line, 1-based position) at 0.3.
func result(text string, low ...[2]int) *Result {
	r := &Result{}
	for i, l := range strings.Split(text, "\n") {
		line := make(Line, len(l))
		for j := range l {
			line[j] = Char{Char: l[j], Confidence: 0.95}
			if slices.Contains(low, [2]int{i + 1, j + 1}) {
				line[j].Confidence = 0.3
			}
		}
		r.Lines = append(r.Lines, line)
	}
	return r
}

// at replaces the character at (line, 1-based position) of text.
func at(text string, line, pos int, c byte) string {
	ls := strings.Split(text, "\n")
	b := []byte(ls[line-1])
	b[pos-1] = c
	ls[line-1] = string(b)
	return strings.Join(ls, "\n")
}

func TestCompare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		read     *Result
		device   string
		want     []string
		disagree []Disagreement
	}{
		{"same", result(td3), td3, nil, nil},
		{"same, CRLF and trailing newline", result(td3), td3line1 + "\r\n" + td3line2 + "\r\n", nil, nil},
		{"no MRZ in the image", nil, td3, []string{ReasonUnreadable}, nil},
		{"a digit changed", result(td3), at(td3, 2, 14, '9'), []string{ReasonMismatch},
			[]Disagreement{{Line: 2, Position: 14, Image: '7', Device: '9', Confidence: 0.95}}},
		{"O for 0 is not a blind spot", result(td3), at(td3, 2, 8, 'O'), []string{ReasonMismatch},
			[]Disagreement{{Line: 2, Position: 8, Image: 'C', Device: 'O', Confidence: 0.95}}},
		{"filler read as K", result(td3), at(td3, 1, 2, 'K'), []string{ReasonSuspect},
			[]Disagreement{{Line: 1, Position: 2, Image: '<', Device: 'K', Confidence: 0.95, Suspect: true}}},
		{"8 sent as B is no blind spot, B for 1 is", result(at(td3, 2, 3, '8')), at(at(td3, 2, 3, 'B'), 2, 1+len("L898902C36UTO7408122F"), 'B'),
			[]string{ReasonMismatch, ReasonSuspect},
			[]Disagreement{
				{Line: 2, Position: 3, Image: '8', Device: 'B', Confidence: 0.95},
				{Line: 2, Position: 22, Image: '1', Device: 'B', Confidence: 0.95, Suspect: true},
			}},
		{"each blind pair", result("0AKUG6S8B1Z5I8"), "<KUA6G8S1B5Z8I", []string{ReasonSuspect}, nil},
		{"an unsure character proves nothing", result(td3, [2]int{2, 14}), at(td3, 2, 14, '9'), nil, nil},
		{"too many unsure", result(td3, [2]int{2, 1}, [2]int{2, 2}, [2]int{2, 3}, [2]int{2, 4}, [2]int{2, 5}, [2]int{2, 6}, [2]int{2, 7}, [2]int{2, 8}, [2]int{2, 9}),
			strings.Replace(td3, "L898902C3", "XXXXXXXXX", 1), []string{ReasonUnreadable}, nil},
		{"too many unsure outweighs a confident mismatch", result(td3, [2]int{2, 1}, [2]int{2, 2}, [2]int{2, 3}, [2]int{2, 4}, [2]int{2, 5}, [2]int{2, 6}, [2]int{2, 7}, [2]int{2, 8}, [2]int{2, 9}),
			at(strings.Replace(td3, "L898902C3", "XXXXXXXXX", 1), 1, 7, 'Q'), []string{ReasonUnreadable},
			[]Disagreement{{Line: 1, Position: 7, Image: 'R', Device: 'Q', Confidence: 0.95}}},
		{"a line missing", result(td3line1), td3, []string{ReasonMismatch}, nil},
		{"a line short", result(td3), td3line1 + "\n" + td3line2[:36], []string{ReasonMismatch}, nil},
	}
	for _, tt := range tests {
		got := Compare(tt.read, tt.device, CompareConfig{})
		if tt.name == "each blind pair" {
			// Every position differs, each by a blind pair.
			if !slices.Equal(got.Reasons, tt.want) || len(got.Disagreements) != 14 {
				t.Errorf("%s: got %v with %d disagreements, want %v with 14", tt.name, got.Reasons, len(got.Disagreements), tt.want)
			}
			continue
		}
		if !slices.Equal(got.Reasons, tt.want) || !slices.Equal(got.Disagreements, tt.disagree) {
			t.Errorf("%s: got %v %+v, want %v %+v", tt.name, got.Reasons, got.Disagreements, tt.want, tt.disagree)
		}
	}
}

func TestSuspect(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"<0", "0A", "AK", "KU", "U<", "G6", "6G", "S8", "B1", "Z5", "I8", "8I"} {
		if !Suspect(p[0], p[1]) {
			t.Errorf("Suspect(%q, %q) = false", p[0], p[1])
		}
	}
	for _, p := range []string{"00", "O0", "8B", "SI", "2Z", "C2", "1I"} {
		if Suspect(p[0], p[1]) {
			t.Errorf("Suspect(%q, %q) = true", p[0], p[1])
		}
	}
}
