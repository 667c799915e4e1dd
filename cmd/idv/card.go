package main

import (
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // a portrait may be JPEG or PNG
	_ "image/png"
	"io"
	"os"
	"strings"
	"time"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/mrz"
)

// runCard writes a phone photo of a generated document bearing an MRZ (the
// user's, or the Dutch specimen identity card's), for trying the API by
// hand: `idv capture --front` it, with or without its MRZ as --mrz-file.
// The photo passes the document check's quality gates and its printed MRZ
// reads back as the one given (cardimage.DocumentPhoto). The MRZ goes to
// stdout, so that `idv card > mrz.txt` keeps it beside the photo.
func runCard(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("card", stderr)
	mrzFile := fs.String("mrz-file", "", "text file with the MRZ lines to print (default: the Dutch specimen identity card's, valid five years from today)")
	out := fs.String("out", "card.jpg", "where to write the photo (JPEG)")
	portraitFile := fs.String("portrait", "", "a JPEG or PNG printed as the holder's portrait (default: a drawn head; with a photo of you, a face match against your selfies can pass)")
	seed := fs.Uint64("seed", 0, "varies the card and the photo")
	if err := fs.Parse(args); err != nil {
		return err
	}
	text := mrz.SpecimenTD1(time.Now())
	if *mrzFile != "" {
		b, err := os.ReadFile(*mrzFile)
		if err != nil {
			return fmt.Errorf("card: %w", err)
		}
		text = string(b)
	}
	lines, err := mrzLines(text)
	if err != nil {
		return fmt.Errorf("card: %s: %w", first(*mrzFile, "MRZ"), err)
	}
	var portrait image.Image
	if *portraitFile != "" {
		f, err := os.Open(*portraitFile)
		if err != nil {
			return fmt.Errorf("card: %w", err)
		}
		portrait, _, err = image.Decode(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("card: portrait %s: %w", *portraitFile, err)
		}
	}
	photo, err := cardimage.DocumentPhoto(strings.Join(lines, "\n"), portrait, *seed)
	if err != nil {
		return fmt.Errorf("card: %w", err)
	}
	if err := os.WriteFile(*out, photo, 0o600); err != nil {
		return fmt.Errorf("card: %w", err)
	}
	fmt.Fprintf(stderr, "card: wrote %s, a photo of a document bearing this MRZ (on stdout)\n", *out)
	if _, err := mrz.Parse(text); err != nil {
		// Printed all the same: a refusal is worth trying too.
		fmt.Fprintf(stderr, "card: the MRZ does not parse (%v): the document check will refuse it\n", err)
	}
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	return nil
}

// mrzLines splits an MRZ into its lines and checks their shape: three of
// 30 characters (TD1) or two of 36 (TD2) or 44 (TD3), in the MRZ's
// alphabet. What they say is not checked.
func mrzLines(text string) ([]string, error) {
	lines := strings.Fields(text)
	if n := len(lines); n == 0 || !(n == 3 && len(lines[0]) == 30 || n == 2 && (len(lines[0]) == 36 || len(lines[0]) == 44)) {
		return nil, errors.New("want three lines of 30 characters (TD1) or two of 36 (TD2) or 44 (TD3)")
	}
	for i, l := range lines {
		if len(l) != len(lines[0]) {
			return nil, fmt.Errorf("line %d has %d characters, line 1 %d", i+1, len(l), len(lines[0]))
		}
		if j := strings.IndexFunc(l, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '<') }); j >= 0 {
			return nil, fmt.Errorf("line %d, character %d: %q is none of A–Z, 0–9 and <", i+1, j+1, l[j:j+1])
		}
	}
	return lines, nil
}
