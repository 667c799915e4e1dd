package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv/document/framecheck"
	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/imagegate"
)

// TestCard: the photo `idv card` writes passes what the document check
// does with a document photo — the image gate, the quality gates and the
// OCR-B read of the printed MRZ (framecheck, as consumers/doccheck runs it
// with the image checks on) — and the MRZ read back from it is the one
// given, which also goes to stdout; for an identity card (the specimen's
// MRZ given as a file, and by default) and a passport. An MRZ of the wrong
// shape is refused.
func TestCard(t *testing.T) {
	t.Parallel()
	reader, err := ocrb.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	checker := framecheck.New(reader, framecheck.Config{Gates: true})
	dir := t.TempDir()
	card := func(t *testing.T, args ...string) (string, error) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"card"}, args...), &stdout, &stderr, env(nil))
		if !strings.Contains(stderr.String(), "card: wrote") && err == nil {
			t.Errorf("stderr %q: want the line saying what was written", &stderr)
		}
		if strings.Contains(stderr.String(), "does not parse") {
			t.Errorf("stderr %q: a valid MRZ taken for an invalid one", &stderr)
		}
		return stdout.String(), err
	}
	for _, c := range []struct{ name, mrz string }{
		{"identity card", mrz.SpecimenTD1(time.Now())},
		{"passport", passportMRZ(time.Now())},
		{"default", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name+".jpg")
			args := []string{"--out", out}
			if c.mrz != "" {
				file := filepath.Join(dir, c.name+".txt")
				if err := os.WriteFile(file, []byte(c.mrz), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--mrz-file", file)
			}
			stdout, err := card(t, args...)
			if err != nil {
				t.Fatalf("idv card: %v", err)
			}
			want := strings.TrimSpace(c.mrz)
			if c.mrz == "" {
				want = strings.TrimSpace(stdout)
				if d, err := mrz.Parse(want); err != nil || !d.IsSpecimen() {
					t.Fatalf("default MRZ %q: %v, want the specimen's", want, err)
				}
			}
			if strings.TrimSpace(stdout) != want {
				t.Errorf("stdout %q, want the MRZ %q", stdout, want)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			img, reason := imagegate.Decode(b, imagegate.DefaultMaxPixels)
			if reason != "" {
				t.Fatalf("image gate: %s", reason)
			}
			res := checker.Check(time.Now(), img)
			if !res.Passed || !res.MRZ.Parsed {
				t.Fatalf("quality gates %v, MRZ %+v; want passed, and the MRZ read, trusted and parsed", res.Reasons, res.MRZ)
			}
			if res.Text != want {
				t.Errorf("MRZ read back:\n%s\nwant:\n%s", res.Text, want)
			}
		})
	}
	t.Run("wrong shape", func(t *testing.T) {
		file := filepath.Join(dir, "short.txt")
		if err := os.WriteFile(file, []byte("I<NLDSPECI2014\n650310\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := card(t, "--mrz-file", file, "--out", filepath.Join(dir, "short.jpg")); err == nil || !strings.Contains(err.Error(), "three lines of 30") {
			t.Errorf("idv card on a short MRZ: %v, want it refused saying what an MRZ is", err)
		}
	})
}

// passportMRZ is a TD3 MRZ of ICAO 9303's specimen passport (Utopia),
// valid five years from now, with every check digit right.
func passportMRZ(now time.Time) string {
	digit := func(s string) string {
		d, _ := mrz.CheckDigit(s)
		return string(d)
	}
	pad := func(s string, n int) string { return s + strings.Repeat("<", n-len(s)) }
	number, birth, expiry, personal := "L898902C3", "740812", now.AddDate(5, 0, 0).Format("060102"), pad("ZE184226B", 14)
	line1 := pad("P<UTOERIKSSON<<ANNA<MARIA", 44)
	line2 := number + digit(number) + "UTO" + birth + digit(birth) + "F" + expiry + digit(expiry) + personal + digit(personal)
	line2 += digit(line2[0:10] + line2[13:20] + line2[21:43])
	return line1 + "\n" + line2 + "\n"
}
