package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/idv-oss/idv/face/facetest"
)

// TestEvalOnDebianPhotos runs `idv eval synth`, then `idv eval facematch`
// and `idv eval liveness` on what it wrote, from the two largest-faced
// Debian photos: at the stages' default thresholds no impostor pair and no
// attack passes, and no genuine pair or live sequence is rejected. Their
// progress, written to a buffer, is lines only.
func TestEvalOnDebianPhotos(t *testing.T) {
	facetest.Engine(t) // skips or fails without the engine
	src := os.Getenv("IDV_TEST_IMAGES")
	photos := t.TempDir()
	for _, name := range []string{"grace_hopper.jpg", "astronaut.png"} {
		facetest.Photo(t, name)
		if err := os.Symlink(filepath.Join(src, name), filepath.Join(photos, name)); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	getenv := env(map[string]string{"IDV_FACE_DIR": os.Getenv("IDV_FACE_DIR")})
	eval := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), append([]string{"eval"}, args...), &stdout, &stderr, getenv); err != nil {
			t.Fatalf("idv eval %v: %v\n%s", args, err, &stderr)
		}
		// Progress into a buffer, as into a log: lines, no frames.
		if bytes.Contains(stderr.Bytes(), []byte("\r")) || stderr.Len() == 0 {
			t.Errorf("idv eval %v: progress %q, want lines without a carriage return", args, &stderr)
		}
		return stdout.String()
	}
	synth := eval("synth", out, "--images", photos)
	if !regexp.MustCompile(`wrote 20 face-match images .* 24 live and 48 attack liveness cases`).MatchString(synth) {
		t.Fatalf("eval synth:\n%s", synth)
	}
	fm := eval("facematch", filepath.Join(out, "facematch"))
	t.Logf("idv eval facematch:\n%s", fm)
	if !regexp.MustCompile(`(?m)^0\.40\s+0/\d+ \(0\.0%\)\s+0/\d+ \(0\.0%\)$`).MatchString(fm) {
		t.Errorf("facematch at 0.40: want no false accepts or rejects")
	}
	lv := eval("liveness", filepath.Join(out, "liveness"))
	t.Logf("idv eval liveness:\n%s", lv)
	if !regexp.MustCompile(`(?m)^15\s+0/48 \(0\.0%\)\s+0/24 \(0\.0%\)$`).MatchString(lv) {
		t.Errorf("liveness at the default 15° turn: want no attack passed and no live case rejected")
	}
}
