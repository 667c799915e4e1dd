package appclient

import (
	"fmt"
	"os"

	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// ReadCaptures reads the captures of one session from files, as `idv capture`
// names them: the document's front (and back), the selfie frames in capture
// order, the MRZ text and the chip's data; back, mrzFile and chipFile may
// be empty (without the MRZ text the document check reads the MRZ from the
// photos).
func ReadCaptures(front, back, mrzFile, chipFile string, selfies []string) ([]Capture, error) {
	type file struct {
		kind  schemas.CaptureKind
		index int
		path  string
	}
	files := []file{{schemas.DocumentFront, 0, front}}
	if back != "" {
		files = append(files, file{schemas.DocumentBack, 0, back})
	}
	for i, s := range selfies {
		files = append(files, file{schemas.Selfie, i, s})
	}
	if mrzFile != "" {
		files = append(files, file{schemas.MRZ, 0, mrzFile})
	}
	if chipFile != "" {
		files = append(files, file{schemas.Chip, 0, chipFile})
	}
	caps := make([]Capture, 0, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f.path)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", schemas.CaptureRef(f.kind, f.index), err)
		}
		if len(b) == 0 {
			return nil, fmt.Errorf("%s: %s is empty", schemas.CaptureRef(f.kind, f.index), f.path)
		}
		caps = append(caps, Capture{Kind: f.kind, Index: f.index, Plain: b})
	}
	return caps, nil
}

// Fits refuses, before anything is sealed or sent, captures the
// session's slots cannot take.
func Fits(slots []schemas.Slot, caps []Capture) error {
	count := map[schemas.CaptureKind]int{}
	for _, c := range caps {
		slot, ok := schemas.SlotFor(slots, c.Kind)
		if !ok {
			return fmt.Errorf("the session takes no %s captures", c.Kind)
		}
		count[c.Kind]++
		if count[c.Kind] > slot.Max {
			return fmt.Errorf("the session takes at most %d %s capture(s)", slot.Max, c.Kind)
		}
		if int64(len(c.Plain))+seal.Overhead > slot.MaxSize {
			return fmt.Errorf("%s is %d bytes; sealed it would exceed the slot's %d bytes",
				schemas.CaptureRef(c.Kind, c.Index), len(c.Plain), slot.MaxSize)
		}
	}
	return nil
}
