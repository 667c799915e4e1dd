package capturepage

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"testing"
)

// maxFirstScreen bounds what a phone downloads before the first screen,
// gzipped: the whole page (index.html, app.css, app.js). 28.7 KB on
// 2026-12-06; a change that needs more than 32 KiB must say why here.
const maxFirstScreen = 32 << 10

// The first screen stays small: everything the page loads, gzipped as
// served over a compressing proxy, within maxFirstScreen.
func TestBundleSize(t *testing.T) {
	t.Parallel()
	total := 0
	err := fs.WalkDir(dist, "dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(dist, p)
		if err != nil {
			return err
		}
		var z bytes.Buffer
		w, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		t.Logf("%s: %d bytes, %d gzipped", p, len(b), z.Len())
		total += z.Len()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total == 0 || total > maxFirstScreen {
		t.Errorf("the page is %d bytes gzipped, want 1 to %d", total, maxFirstScreen)
	}
}
