// Package evaluation measures the face engine as the facematch and liveness
// stages use it, over labelled inputs on disk, and makes such inputs from a
// few lawful photos (face/synth). `idv eval` prints its tables.
//
// The figures describe this engine on these inputs only: a handful of
// public photos and synthetic changes of them are not a population, and no
// threshold should be called calibrated on them.
package evaluation

import (
	"fmt"
	"image"
	_ "image/jpeg" // decoders for the labelled inputs
	_ "image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/idv-oss/idv/imagegate"
)

// maxInputBytes caps one input file; a larger one is refused unread.
const maxInputBytes = 64 << 20

// loadImage reads an image file through the same decoding gate as the
// stages (pixel cap before allocation).
func loadImage(path string) (image.Image, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("evaluation: %w", err)
	}
	if st.Size() > maxInputBytes {
		return nil, fmt.Errorf("evaluation: %s: %d bytes, more than %d", path, st.Size(), maxInputBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("evaluation: %w", err)
	}
	img, reason := imagegate.Decode(b, imagegate.DefaultMaxPixels)
	if reason != "" {
		return nil, fmt.Errorf("evaluation: %s: %s", path, reason)
	}
	return img, nil
}

// images lists the JPEG and PNG files of dir, as paths, sorted by name.
func images(dir string) ([]string, error) {
	files, err := listDir(dir, func(e os.DirEntry) bool {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		return !e.IsDir() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg")
	})
	for i, f := range files {
		files[i] = filepath.Join(dir, f)
	}
	return files, err
}

// subdirs lists dir's subdirectories, sorted by name.
func subdirs(dir string) ([]string, error) {
	out, err := listDir(dir, os.DirEntry.IsDir)
	if err == nil && len(out) == 0 {
		return nil, fmt.Errorf("evaluation: %s holds no labelled subdirectories", dir)
	}
	return out, err
}

// listDir lists the names of dir's entries that keep accepts, sorted (as
// os.ReadDir returns them).
func listDir(dir string, keep func(os.DirEntry) bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("evaluation: %w", err)
	}
	var out []string
	for _, e := range entries {
		if keep(e) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// Rate is a count of errors out of trials.
type Rate struct{ Errors, Trials int }

// String is "3/40 (7.5%)", or "–" with no trials.
func (r Rate) String() string {
	if r.Trials == 0 {
		return "–"
	}
	return fmt.Sprintf("%d/%d (%.1f%%)", r.Errors, r.Trials, 100*float64(r.Errors)/float64(r.Trials))
}

// Counts is "3/24" under 100 trials, where a percentage would claim a
// precision the sample has not; "3/240 (1.2%)" from 100; "–" with none.
func (r Rate) Counts() string {
	if r.Trials >= 100 {
		return r.String()
	}
	if r.Trials == 0 {
		return "–"
	}
	return fmt.Sprintf("%d/%d", r.Errors, r.Trials)
}
