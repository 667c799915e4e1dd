package doccheck_test

import (
	"bytes"
	"crypto/sha256"
	"image"
	"image/jpeg"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/check"
	"github.com/idv-oss/idv/consumers/doccheck"
	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// bsnCard is the MRZ of a pre-2021 Dutch identity card carrying the
// specimen BSN 999999990 in line 1, positions 16–24.
func bsnCard(t *testing.T, b *bundle) string {
	t.Helper()
	line1 := "I<NLDSPECI20142999999990<<<<<8"
	exp := b.now.AddDate(5, 0, 0).Format("060102")
	line2 := pad("650310"+checkDigit("650310")+"F"+exp+checkDigit(exp)+"NLD", 29)
	line2 += checkDigit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
	return line1 + "\n" + line2 + "\n" + pad("DE<BRUIJN<<WILLEKE<LISELOTTE", 30) + "\n"
}

// TestRedactedCopy: a tenant whose policy asks for a redacted copy gets
// one, sealed to the session key under the session's prefix, listed among
// its captures, opening into a JPEG whose portrait and BSN are black; a
// tenant whose policy does not gets none; deleting the session's prefix,
// as the wipe does, takes it away.
func TestRedactedCopy(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	p := schemas.DefaultPolicy()
	p.AllowSpecimen, p.RedactedCopy = true, true
	b.copying = b.newTenantWith(t, "Voorbeeld B.V.", p)
	copying := b.copying
	text := bsnCard(t, b)
	front := photo(t, text, nil)

	run := func(st *doccheck.Stage, tenantID uuid.UUID) uuid.UUID {
		id := b.intake(t, tenantID, []string{schemas.CheckDocument}, []appclient.Capture{
			{Kind: schemas.DocumentFront, Plain: front},
			{Kind: schemas.MRZ, Plain: []byte(text)},
			{Kind: schemas.Selfie, Plain: doccheck.TestJPEG(t, 32, 32)},
		})
		if err := st.Handle(ctx, b.event(t, schemas.TypeSessionSubmitted, id)); err != nil {
			t.Fatalf("Handle: %v", err)
		}
		res, err := postgres.NewResults(b.db.DB).Get(ctx, tenantID, id, schemas.CheckDocument)
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != schemas.OutcomePassed {
			t.Fatalf("result %s %q, want passed", res.Outcome, res.Reasons)
		}
		return id
	}
	// The stage with the image checks on, and the default one, which
	// has no MRZ reader of its own and builds one to find the cells.
	for name, st := range map[string]*doccheck.Stage{"image checks": b.imageStage(t, true), "default": b.stage} {
		t.Run(name, func(t *testing.T) { b.checkCopy(t, front, run(st, copying)) })
	}
	// No copy for a tenant that did not ask for one.
	plainID := run(b.imageStage(t, true), b.specimens)
	if _, ok := b.copyOf(t, b.specimens, plainID); ok {
		t.Error("a redacted copy for a tenant whose policy asks for none")
	}
	if _, err := b.store.Get(ctx, schemas.ObjectKey(b.specimens.String(), plainID.String(), 1, schemas.RedactedCopy, 0), 16<<20); err == nil {
		t.Error("a redacted copy stored for a tenant whose policy asks for none")
	}
	// Invariant 1: nothing of the document outside the sealed objects.
	b.assertNothingPersonal(t, append(strings.Fields(text), personal...))
}

// checkCopy checks the redacted copy of session id: recorded, stored as
// recorded, opening with the session key only as redacted_copy/0 into a
// JPEG of the front with the portrait and BSN black; and gone once the
// session's prefix is deleted, as the wipe deletes it.
func (b *bundle) checkCopy(t *testing.T, front []byte, id uuid.UUID) {
	t.Helper()
	ctx := t.Context()
	sessions := postgres.NewSessions(b.db.DB)
	copying := b.copying
	c, ok := b.copyOf(t, copying, id)
	if !ok {
		t.Fatal("no redacted copy recorded")
	}
	if want := schemas.ObjectKey(copying.String(), id.String(), 1, schemas.RedactedCopy, 0); c.Index != 0 || c.ObjectKey != want {
		t.Fatalf("copy recorded as %s at %s, want index 0 at %s", schemas.CaptureRef(c.Kind, c.Index), c.ObjectKey, want)
	}
	sealed, err := b.store.Get(ctx, c.ObjectKey, 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(sealed); int64(len(sealed)) != c.Size || !bytes.Equal(sum[:], c.SHA256) {
		t.Fatal("stored copy differs from its record")
	}
	sess, err := sessions.Get(ctx, copying, id)
	if err != nil {
		t.Fatal(err)
	}
	key, err := check.SessionKey(ctx, sessions, b.vault, sess)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seal.Open(key, seal.CaptureInfo(id, 1, string(schemas.DocumentFront), 0), sealed); err == nil {
		t.Fatal("the copy opens as the document front")
	}
	plain, err := seal.Open(key, seal.CaptureInfo(id, 1, string(schemas.RedactedCopy), 0), sealed)
	if err != nil {
		t.Fatalf("copy does not open with the session key: %v", err)
	}
	img, err := jpeg.Decode(bytes.NewReader(plain))
	if err != nil {
		t.Fatalf("copy is no JPEG: %v", err)
	}
	orig, err := jpeg.Decode(bytes.NewReader(front))
	if err != nil {
		t.Fatal(err)
	}
	// cardimage's TD1 card at 12 px/mm on an 8 mm table: the portrait's
	// middle, the BSN's middle (line 1, position 20) and a stretch of the
	// card's stock right of the printed fields, below the number zone of
	// the 2014–2021 Dutch card's layout (redact.Layouts: to 28 mm from
	// the top) and above the MRZ.
	mm := func(x, y float64) image.Point { return image.Pt(int((8+x)*12), int((8+y)*12)) }
	portrait, bsn, stock := mm(0.2*85.6, 0.32*54), mm(5+19.5*2.54, 54-3.5-2*4.23-1.2), mm(82, 34)
	if l := meanLuma(img, portrait, 50); l > 60 {
		t.Errorf("portrait's mean luma %.0f in the copy, want it blacked out", l)
	}
	if l := meanLuma(img, bsn, 8); l > 60 {
		t.Errorf("BSN's mean luma %.0f in the copy, want it blacked out", l)
	}
	if a, o := meanLuma(img, stock, 20), meanLuma(orig, stock, 20); a < o-40 {
		t.Errorf("card stock darkened from %.0f to %.0f", o, a)
	}
	clear(plain)

	// The wipe deletes everything under the session's prefix.
	if _, err := b.store.DeletePrefix(ctx, schemas.SessionPrefix(copying.String(), id.String())); err != nil {
		t.Fatal(err)
	}
	if _, err := b.store.Get(ctx, c.ObjectKey, 16<<20); err == nil {
		t.Error("redacted copy outlives its session's objects")
	}
}

// copyOf finds the redacted copy among a session's captures.
func (b *bundle) copyOf(t *testing.T, tenantID, id uuid.UUID) (idv.Capture, bool) {
	t.Helper()
	caps, err := postgres.NewSessions(b.db.DB).Captures(t.Context(), tenantID, id)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(caps, func(c idv.Capture) bool { return c.Kind == schemas.RedactedCopy })
	if i < 0 {
		return idv.Capture{}, false
	}
	return caps[i], true
}

func meanLuma(img image.Image, p image.Point, rad int) float64 {
	var sum float64
	n := 0
	for y := p.Y - rad; y <= p.Y+rad; y++ {
		for x := p.X - rad; x <= p.X+rad; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			sum += (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
			n++
		}
	}
	return sum / float64(n)
}

// TestRedactedCopyBack: when the app sends the back too, the stage keeps a
// copy of each side, redacted_copy/0 of the front and redacted_copy/1 of
// the back; on the back of a 2014–2021 Dutch identity card (the MRZ side,
// the BSN in the MRZ and printed above it) every pixel of the printed
// BSN's ink is black in the back's copy.
func TestRedactedCopyBack(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	p := schemas.DefaultPolicy()
	p.AllowSpecimen, p.RedactedCopy = true, true
	tenantID := b.newTenantWith(t, "Voorbeeld B.V.", p)
	text := bsnCard(t, b)
	lines := strings.Fields(text)
	bsnFields := []cardimage.Field{{X: 0.1, Y: 0.15, Text: "PERSOONSNUMMER / PERSONAL NO."},
		{X: 0.1, Y: 0.22, Pitch: 2.2, Text: "999999990"}}
	render := func(fields []cardimage.Field) image.Image {
		img, err := cardimage.Render(lines, cardimage.Options{Seed: 9, Fields: fields})
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	backImg := render(bsnFields)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, backImg, &jpeg.Options{Quality: 92}); err != nil {
		t.Fatal(err)
	}
	id := b.intake(t, tenantID, []string{schemas.CheckDocument}, []appclient.Capture{
		{Kind: schemas.DocumentFront, Plain: photo(t, text, nil)},
		{Kind: schemas.DocumentBack, Plain: buf.Bytes()},
		{Kind: schemas.MRZ, Plain: []byte(text)},
		{Kind: schemas.Selfie, Plain: doccheck.TestJPEG(t, 32, 32)},
	})
	if err := b.stage.Handle(ctx, b.event(t, schemas.TypeSessionSubmitted, id)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	sessions := postgres.NewSessions(b.db.DB)
	caps, err := sessions.Captures(ctx, tenantID, id)
	if err != nil {
		t.Fatal(err)
	}
	var copies []int
	for _, c := range caps {
		if c.Kind == schemas.RedactedCopy {
			copies = append(copies, c.Index)
		}
	}
	slices.Sort(copies)
	if !slices.Equal(copies, []int{schemas.RedactedCopyFront, schemas.RedactedCopyBack}) {
		t.Fatalf("redacted copies %v, want the front's and the back's", copies)
	}
	sess, err := sessions.Get(ctx, tenantID, id)
	if err != nil {
		t.Fatal(err)
	}
	key, err := check.SessionKey(ctx, sessions, b.vault, sess)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := b.store.Get(ctx, schemas.ObjectKey(tenantID.String(), id.String(), 1, schemas.RedactedCopy, schemas.RedactedCopyBack), 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := seal.Open(key, seal.CaptureInfo(id, 1, string(schemas.RedactedCopy), schemas.RedactedCopyBack), sealed)
	if err != nil {
		t.Fatalf("the back's copy does not open as redacted_copy/1: %v", err)
	}
	out, err := jpeg.Decode(bytes.NewReader(plain))
	if err != nil {
		t.Fatal(err)
	}
	// The BSN's ink: where the back with its BSN fields and without them differ.
	without := render([]cardimage.Field{}) // no fields: no grey bars either
	ink, bright := 0, 0
	bounds := backImg.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			p := image.Pt(x, y)
			if d := meanLuma(backImg, p, 0) - meanLuma(without, p, 0); d > -60 && d < 60 {
				continue
			}
			ink++
			if meanLuma(out, p, 0) > 60 {
				bright++
			}
		}
	}
	if ink < 200 || bright > 0 {
		t.Errorf("%d of %d pixels of the printed BSN not masked in the back's copy", bright, ink)
	}
}
