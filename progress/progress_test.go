package progress

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Not on a terminal (a buffer, as a log file or a pipe would be): no
// carriage return, one line per step and nothing for the frames between.
func TestMeterWritesLinesOffTerminal(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	m := New(&buf)
	const total = 250
	steps := 0
	for done := 1; done <= total; done++ {
		if Tenth(done, total) {
			steps++
			m.Step("%d/%d done", done, total)
		} else {
			m.Frame("%d/%d done", done, total)
		}
	}
	m.Done()
	out := buf.String()
	if strings.Contains(out, "\r") {
		t.Errorf("carriage return off a terminal:\n%q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if steps != 10 || len(lines) != steps || lines[0] != "25/250 done" || lines[9] != "250/250 done" {
		t.Errorf("%d steps, %d lines, want 10 of each, from 25/250 to 250/250:\n%s", steps, len(lines), out)
	}
}

// On a terminal: frames and steps redraw one line, frames at most every
// FrameInterval, and Done ends it.
func TestMeterDrawsFramesOnTerminal(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	m := &Meter{w: &buf, tty: true}
	m.Frame("1/3")
	m.Frame("2/3") // within FrameInterval of the first: not drawn
	m.Step("3/3")
	m.Done()
	m.Done()
	if got, want := buf.String(), "\r1/3\r3/3\n"; got != want {
		t.Errorf("terminal output %q, want %q", got, want)
	}
}

func TestIsTerminal(t *testing.T) {
	t.Parallel()
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	for name, w := range map[string]io.Writer{"buffer": &bytes.Buffer{}, "regular file": f, "/dev/null": null} {
		if IsTerminal(w) {
			t.Errorf("%s taken for a terminal", name)
		}
	}
}

func TestTenth(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		total int
		want  []int
	}{
		{1, []int{1}},
		{3, []int{1, 2, 3}},
		{10, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{25, []int{3, 5, 8, 10, 13, 15, 18, 20, 23, 25}},
		{0, nil},
	} {
		var got []int
		for done := 0; done <= c.total; done++ {
			if Tenth(done, c.total) {
				got = append(got, done)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Tenth of %d: steps at %v, want %v", c.total, got, c.want)
		}
	}
}
