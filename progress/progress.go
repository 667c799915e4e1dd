// Package progress shows how far long work has got. On a terminal a Meter
// redraws one line in place (a carriage return and the new state); written
// anywhere else — a log file, a pipe, a CI job's output, a test's buffer —
// it writes a line per completed step and never a carriage return, so that
// a log holds what happened, not the hundreds of frames a person watching
// the terminal saw.
package progress

import (
	"fmt"
	"io"
	"sync"
	"time"

	"golang.org/x/term"
)

// FrameInterval is the least time between two frames on a terminal: a step
// is drawn at once, the frames between steps at most this often.
const FrameInterval = 200 * time.Millisecond

// Meter shows the progress of one piece of work on a writer. It is safe
// for concurrent use.
type Meter struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	drawn time.Time // when the last frame went to the terminal
	open  bool      // a frame is on the terminal's line, not yet ended
}

// New returns a Meter writing to w: frames when w is a terminal, a line per
// step otherwise.
func New(w io.Writer) *Meter {
	return &Meter{w: w, tty: IsTerminal(w)}
}

// IsTerminal reports whether w is a terminal: a file (os.Stderr, say) open
// on one. A buffer, a pipe, a regular file and /dev/null are not.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// Frame shows the state of the work between steps: on a terminal it
// redraws the line (at most every FrameInterval); elsewhere it writes
// nothing.
func (m *Meter) Frame(format string, a ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.tty || time.Since(m.drawn) < FrameInterval {
		return
	}
	m.draw(format, a...)
}

// Step shows a completed step: on a terminal it redraws the line now;
// elsewhere it writes the step as a line of its own.
func (m *Meter) Step(format string, a ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.tty {
		fmt.Fprintf(m.w, format+"\n", a...)
		return
	}
	m.draw(format, a...)
}

// Done ends the work: on a terminal it ends the line the frames were drawn
// on; elsewhere every step already has its line.
func (m *Meter) Done() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.open {
		fmt.Fprintln(m.w)
		m.open = false
	}
}

func (m *Meter) draw(format string, a ...any) {
	fmt.Fprintf(m.w, "\r"+format, a...)
	m.drawn, m.open = time.Now(), true
}

// Tenth reports whether done of total things completes a tenth of them (or
// all of them): the steps of work counted in many small things, such as
// verifications or sessions, that are worth a line each.
func Tenth(done, total int) bool {
	if total <= 0 || done <= 0 {
		return false
	}
	return done >= total || done*10/total > (done-1)*10/total
}
