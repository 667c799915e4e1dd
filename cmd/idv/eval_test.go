package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/idv-oss/idv/face/evaluation"
	"github.com/idv-oss/idv/face/facetest"
)

// scorecardMark precedes, in docs/measurements.md, the fenced block holding
// the liveness scorecard as `idv eval liveness` prints it.
const scorecardMark = "<!-- liveness scorecard: printed by idv eval liveness, asserted by TestEvalOnDebianPhotos -->"

// TestEvalOnDebianPhotos runs `idv eval synth`, then `idv eval facematch`
// and `idv eval liveness` on what it wrote, from the two largest-faced
// Debian photos: at the default threshold no impostor pair passes and no
// genuine pair is rejected, and the liveness scorecard is, row for row,
// the one docs/measurements.md publishes (issue 22 points 4 and 5). Then
// `idv eval liveness` reads a directory laid out as an operator's own
// captures would be. Progress, written to a buffer, is lines only.
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
	if !regexp.MustCompile(`wrote 20 face-match images .* 40 bona fide and 80 attack liveness cases`).MatchString(synth) {
		t.Fatalf("eval synth:\n%s", synth)
	}
	fm := eval("facematch", filepath.Join(out, "facematch"))
	t.Logf("idv eval facematch:\n%s", fm)
	if !regexp.MustCompile(`(?m)^0\.40\s+0/\d+ \(0\.0%\)\s+0/\d+ \(0\.0%\)$`).MatchString(fm) {
		t.Errorf("facematch at 0.40: want no false accepts or rejects")
	}
	lv := eval("liveness", filepath.Join(out, "liveness"))
	t.Logf("idv eval liveness:\n%s", lv)
	if got, want := scorecard(t, lv), publishedScorecard(t); got != want {
		t.Errorf("the liveness scorecard printed differs from docs/measurements.md's:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(scorecard(t, lv), "%") {
		t.Errorf("a percentage under 100 samples:\n%s", lv)
	}

	own := operatorCaptures(t, filepath.Join(out, "liveness"))
	mine := scorecard(t, eval("liveness", own))
	for _, row := range []string{`(?m)^mask\s+0/1\s`, `(?m)^printed_photo\s+0/1\s`, `(?m)^photo_on_screen\s+–\s+–$`,
		`(?m)^wrong_light\s+–\s+–$`, `(?m)^real\s+[01]/1\s`} {
		if !regexp.MustCompile(row).MatchString(mine) {
			t.Errorf("an operator's captures: no row %s in\n%s", row, mine)
		}
	}
}

// scorecard is the scorecard part of `idv eval liveness`'s output: from
// its first table to the blank line before the per-kind signal spreads.
func scorecard(t *testing.T, out string) string {
	t.Helper()
	start, end := strings.Index(out, "attack type "), strings.Index(out, "\nkind ")
	if start < 0 || end < start {
		t.Fatalf("no scorecard in:\n%s", out)
	}
	return out[start:end]
}

// publishedScorecard is the fenced block after scorecardMark in
// docs/measurements.md.
func publishedScorecard(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "measurements.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), scorecardMark+"\n```text\n")
	block, _, closed := strings.Cut(after, "```")
	if !ok || !closed {
		t.Fatalf("docs/measurements.md has no fenced block after %q", scorecardMark)
	}
	return block
}

// operatorCaptures lays out, as an operator's own captures would be, a
// bona fide case (kind "real"), a print and an attack type the catalogue
// does not name ("mask"), copied from the generated cases without the
// generator's records, and returns their directory.
func operatorCaptures(t *testing.T, generated string) string {
	t.Helper()
	dir := t.TempDir()
	for name, c := range map[string]evaluation.Case{
		"grace_hopper_blink-turn_left_bona_fide_1":   {Live: true, Kind: "real"},
		"grace_hopper_blink-turn_left_printed_photo": {Kind: "printed_photo"},
		"grace_hopper_blink-turn_left_still_frames":  {Kind: "mask"},
	} {
		to := filepath.Join(dir, "case-"+c.Kind)
		if err := os.Mkdir(to, 0o755); err != nil {
			t.Fatal(err)
		}
		frames, err := filepath.Glob(filepath.Join(generated, name, "*.jpg"))
		if err != nil || len(frames) != 3 {
			t.Fatalf("%s: frames %v, %v", name, frames, err)
		}
		for _, f := range frames {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(to, filepath.Base(f)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		c.Steps = []string{"blink", "turn_left"}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, "case.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
