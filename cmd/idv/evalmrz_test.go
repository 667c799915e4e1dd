package main

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/idv-oss/idv/document/ocrb/readeval"
)

// TestEvalMRZ runs `idv eval mrz` on two cards, with no face engine
// configured: the table has a row for every degradation, the five
// families issue 16 asks about among them, the clean cards read and
// trusted, and the confidence spreads follow.
func TestEvalMRZ(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"eval", "mrz", "--n", "2"}, &stdout, &stderr, env(nil)); err != nil {
		t.Fatalf("idv eval mrz: %v\n%s", err, &stderr)
	}
	out := stdout.String()
	t.Logf("idv eval mrz --n 2:\n%s", out)
	families := map[string]bool{}
	for _, d := range slices.Concat(readeval.Degradations(), readeval.Limits()) {
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(d.Name) + `(?: \(limit\))?\s+(\S+)\s+2\s`).FindStringSubmatch(out)
		if m == nil {
			t.Errorf("no row for %s of 2 samples", d.Name)
			continue
		}
		families[m[1]] = true
	}
	for _, f := range []string{"blur", "glare", "angle", "jpeg", "resolution"} {
		if !families[f] {
			t.Errorf("no degradation of the family %s", f)
		}
	}
	if !regexp.MustCompile(`(?m)^clean\s+none\s+2\s+100\.0\s+100\.0\s+0\s+100\.00\s`).MatchString(out) {
		t.Errorf("clean cards: want both read exactly and trusted")
	}
	if !regexp.MustCompile(`(?m)^read wrong\s+confidence\s+\d+`).MatchString(out) {
		t.Errorf("no spread of the confidence of characters read wrong")
	}
	if !strings.Contains(stderr.String(), "read 2 of 2 cards") {
		t.Errorf("no progress on stderr:\n%s", &stderr)
	}
}
