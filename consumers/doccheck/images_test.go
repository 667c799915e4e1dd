package doccheck_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv/consumers/doccheck"
	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/document/quality"
	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// imageStage is the stage with the quality gates on and the MRZ reader in.
func (b *bundle) imageStage(t testing.TB, gates bool) *doccheck.Stage {
	t.Helper()
	reader, err := ocrb.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	return doccheck.New(doccheck.Deps{
		Sessions: postgres.NewSessions(b.db.DB), Tenants: postgres.NewTenants(b.db.DB), Results: postgres.NewResults(b.db.DB),
		Keys: b.vault, Objects: b.store, Now: func() time.Time { return b.now }, Reader: reader,
		Log: slog.New(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, doccheck.Config{QualityGates: gates})
}

// photo renders a card printing mrzText, spoils it with how, and encodes it
// as a phone would (JPEG, quality 90).
func photo(t testing.TB, mrzText string, how func(image.Image) image.Image) []byte {
	t.Helper()
	img, err := cardimage.Render(strings.Fields(mrzText), cardimage.Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	var spoilt image.Image = img
	if how != nil {
		spoilt = how(img)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, spoilt, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDocumentCheckImages: with the quality gates on and the reader in, a
// photo a new one would improve asks for one, and the MRZ printed on the
// card is held against the app's.
func TestDocumentCheckImages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	good := td1("SPECI2014", "650310", b.now.AddDate(5, 0, 0))
	// Another holder's card, every check digit right: what a forger
	// would print, or an app would send, for a borrowed document.
	other := td1("SPECI2014", "710822", b.now.AddDate(5, 0, 0))
	// Line 2, position 19 is optional data, under the composite check
	// digit: '<' and '0' both count 0, so the app's text stays valid.
	lines := strings.Split(good, "\n")
	lines[1] = lines[1][:18] + "0" + lines[1][19:]
	blind := strings.Join(lines, "\n")
	// A card whose document number's check digit is wrong, and one that
	// expired: read from the photo alone, the first may be a misread, the
	// second is judged as any expired document.
	badDigit := []byte(good)
	badDigit[14] = '0' + (badDigit[14]-'0'+1)%10
	expired := td1("SPECI2014", "650310", b.now.AddDate(-1, 0, 0))
	gated, ungated := b.imageStage(t, true), b.imageStage(t, false)
	cases := []struct {
		name    string
		stage   *doccheck.Stage
		front   []byte
		text    string
		outcome string
		reasons []string
	}{
		{"photo matches the MRZ sent", gated, photo(t, good, nil), good, schemas.OutcomePassed, []string{}},
		{"slightly rotated photo matches", gated, photo(t, good, func(i image.Image) image.Image { return cardimage.Rotate(i, 2) }), good,
			schemas.OutcomePassed, []string{}},
		{"blurred", gated, photo(t, good, func(i image.Image) image.Image { return cardimage.Blur(i, 3) }), good,
			schemas.OutcomeResubmit, []string{quality.ReasonBlurry}},
		{"greyscale copy", gated, photo(t, good, func(i image.Image) image.Image { return cardimage.Grey(i) }), good,
			schemas.OutcomeResubmit, []string{quality.ReasonGreyscaleCopy}},
		{"glare", gated, photo(t, good, func(i image.Image) image.Image { return cardimage.Glare(i, 0.6, 0.4, 0.08) }), good,
			schemas.OutcomeResubmit, []string{quality.ReasonGlare}},
		{"too small", gated, photo(t, good, func(i image.Image) image.Image { return cardimage.Scale(i, 0.5) }), good,
			schemas.OutcomeResubmit, []string{quality.ReasonLowResolution}},
		{"card printing another MRZ", gated, photo(t, other, nil), good,
			schemas.OutcomeFailed, []string{ocrb.ReasonMismatch}},
		{"MRZ sent differs by a blind-spot pair", gated, photo(t, good, nil), blind,
			schemas.OutcomeReview, []string{ocrb.ReasonSuspect}},
		{"no MRZ in the picture", ungated, doccheck.TestJPEG(t, 640, 400), good,
			schemas.OutcomeResubmit, []string{ocrb.ReasonUnreadable}},
		// The app sends no MRZ text (text ""): the stage reads the photo.
		{"no text: the MRZ read from the photo", gated, photo(t, good, nil), "", schemas.OutcomePassed, []string{}},
		{"no text: rotated photo read", gated, photo(t, good, func(i image.Image) image.Image { return cardimage.Rotate(i, 2) }), "",
			schemas.OutcomePassed, []string{}},
		{"no text, reader and gates off: the stage still reads", b.stage, photo(t, good, nil), "", schemas.OutcomePassed, []string{}},
		{"no text: blurred", gated, photo(t, good, func(i image.Image) image.Image { return cardimage.Blur(i, 3) }), "",
			schemas.OutcomeResubmit, []string{quality.ReasonBlurry}},
		{"no text: no MRZ in the picture", ungated, doccheck.TestJPEG(t, 640, 400), "",
			schemas.OutcomeResubmit, []string{ocrb.ReasonUnreadable}},
		{"no text: a check digit wrong on the card is a retake, not a decline", gated, photo(t, string(badDigit), nil), "",
			schemas.OutcomeResubmit, []string{ocrb.ReasonUnreadable}},
		{"no text: an expired card read confidently", gated, photo(t, expired, nil), "",
			schemas.OutcomeFailed, []string{"document_expired"}},
		{"no text: too faint to trust", ungated, photo(t, good, func(i image.Image) image.Image { return cardimage.Blur(i, 4) }), "",
			schemas.OutcomeResubmit, []string{ocrb.ReasonUnreadable}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := t.Context()
			caps := []appclient.Capture{
				{Kind: schemas.DocumentFront, Plain: c.front},
				{Kind: schemas.Selfie, Plain: doccheck.TestJPEG(t, 32, 32)},
			}
			if c.text != "" {
				caps = append(caps, appclient.Capture{Kind: schemas.MRZ, Plain: []byte(c.text)})
			}
			id := b.intake(t, b.specimens, []string{schemas.CheckDocument}, caps)
			if err := c.stage.Handle(ctx, b.event(t, schemas.TypeSessionSubmitted, id)); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			res, err := postgres.NewResults(b.db.DB).Get(ctx, b.specimens, id, schemas.CheckDocument)
			if err != nil {
				t.Fatal(err)
			}
			if string(res.Outcome) != c.outcome || !slices.Equal(res.Reasons, c.reasons) {
				t.Fatalf("result %s %q, want %s %q", res.Outcome, res.Reasons, c.outcome, c.reasons)
			}
		})
	}
	// Invariant 1: the printed and the sent MRZ stay in the captures.
	var forbidden []string
	for _, text := range []string{good, other, blind, string(badDigit), expired} {
		forbidden = append(forbidden, strings.Fields(text)...)
	}
	b.assertNothingPersonal(t, append(forbidden, personal...))
}
