package facematch_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/capture"
	"github.com/idv-oss/idv/consumers/check"
	"github.com/idv-oss/idv/consumers/facematch"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/document/chip"
	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/facetest"
	"github.com/idv-oss/idv/imagegate/imagetest"
	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/infra/logtest"
	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
	"github.com/idv-oss/idv/schemas"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// skipOrFail skips a test that lacks the models or photos, unless
// IDV_REQUIRE_FACE is set (as `go tool task test` does): then it fails.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("IDV_REQUIRE_FACE") != "" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

const howToRun = `run IDV_FACE_DIR="$(scripts/face-models.sh)" IDV_TEST_IMAGES="$(scripts/test-images.sh)" go test ./consumers/facematch`

// openEngine opens the installed face engine with the stage's models.
func openEngine(t testing.TB) *face.Engine {
	t.Helper()
	dir := os.Getenv("IDV_FACE_DIR")
	if dir == "" || os.Getenv("IDV_TEST_IMAGES") == "" {
		skipOrFail(t, "IDV_FACE_DIR or IDV_TEST_IMAGES not set: %s", howToRun)
	}
	e, err := face.Open(dir, face.Config{Models: facematch.Models})
	if err != nil {
		if os.Getenv("IDV_REQUIRE_FACE") == "" && strings.Contains(err.Error(), "without cgo") {
			t.Skipf("face engine: %v", err)
		}
		t.Fatalf("face.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e
}

// photo reads one of the Debian test photos from IDV_TEST_IMAGES, as raw
// file bytes and decoded.
func photo(t testing.TB, name string) ([]byte, image.Image) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(os.Getenv("IDV_TEST_IMAGES"), name))
	if err != nil {
		skipOrFail(t, "test image %s: %v: %s", name, err, howToRun)
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return raw, img
}

// scaled resamples img by factor s (bilinear).
func scaled(img image.Image, s float64) *image.RGBA {
	b := img.Bounds()
	w, h := int(float64(b.Dx())*s), int(float64(b.Dy())*s)
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	src := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	at := func(x, y, c int) float64 {
		x, y = min(max(x, 0), b.Dx()-1), min(max(y, 0), b.Dy()-1)
		return float64(src.Pix[src.PixOffset(x, y)+c])
	}
	for y := range h {
		fy := (float64(y)+0.5)/s - 0.5
		y0 := int(fy)
		if fy < 0 {
			y0 = -1
		}
		dy := fy - float64(y0)
		for x := range w {
			fx := (float64(x)+0.5)/s - 0.5
			x0 := int(fx)
			if fx < 0 {
				x0 = -1
			}
			dx := fx - float64(x0)
			o := out.PixOffset(x, y)
			for c := range 3 {
				v := (at(x0, y0, c)*(1-dx)+at(x0+1, y0, c)*dx)*(1-dy) + (at(x0, y0+1, c)*(1-dx)+at(x0+1, y0+1, c)*dx)*dy
				out.Pix[o+c] = uint8(v + 0.5)
			}
			out.Pix[o+3] = 255
		}
	}
	return out
}

func encodeJPEG(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// plain is a generated picture with no face in it: a soft two-colour
// gradient with a darker band, about the proportions of an ID card.
func plain(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{uint8(180 + 40*x/w), uint8(200 - 30*y/h), 210, 255}
			if y > h*3/4 {
				c = color.RGBA{90, 90, 110, 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

// bundle is one test's system: its own databases (main and key store), its
// own bucket on the embedded gateway, the real vault, the real face engine,
// and the stage with its logs captured.
type bundle struct {
	db     *sqlx.DB
	vault  *vault.Vault
	store  *objects.Store
	engine *face.Engine
	logs   *logtest.Buffer
	now    time.Time
	stage  *facematch.Stage
	tenant uuid.UUID
	// mrz and chip, when set, replace intake's placeholder MRZ and add a
	// chip capture.
	mrz, chip []byte
}

func setup(t *testing.T) *bundle {
	t.Helper()
	engine := openEngine(t)
	db := pgtest.NewDB(t, schemas.MainMigrations())
	keys := pgtest.NewDB(t, schemas.KeyStoreMigrations())
	master, err := vault.ParseMasterKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	if err != nil {
		t.Fatal(err)
	}
	b := &bundle{db: db, vault: vault.New(master, keys.DB), store: s3test.NewStore(t), engine: engine,
		logs: &logtest.Buffer{}, now: time.Now().UTC().Truncate(time.Microsecond)}
	b.stage = b.newStage(facematch.Config{})
	b.tenant = b.newTenant(t)
	return b
}

func (b *bundle) newStage(cfg facematch.Config) *facematch.Stage {
	return b.newStageTrusting(cfg, nil)
}

// newStageTrusting is newStage with trusted CSCAs for chip portraits.
func (b *bundle) newStageTrusting(cfg facematch.Config, cscas *chip.TrustStore) *facematch.Stage {
	return facematch.New(facematch.Deps{CSCAs: cscas, Stores: check.Stores{
		Sessions: postgres.NewSessions(b.db.DB), Results: postgres.NewResults(b.db.DB), Keys: b.vault,
		Objects: b.store, Now: func() time.Time { return b.now },
		Log: slog.New(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, Engine: b.engine}, cfg)
}

// newTenant stores a tenant through the tenant store (consumers do not
// import producers, not even in tests).
func (b *bundle) newTenant(t *testing.T) uuid.UUID {
	t.Helper()
	id := uuid.New()
	secret, err := b.vault.SealSecret(id, "webhook-secret", random(32))
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256(random(32))
	err = postgres.NewTenants(b.db.DB).Create(t.Context(), idv.Tenant{ID: id, Name: "Faces", RetentionDays: 7,
		WebhookURL: "https://hooks.example.test/idv", WebhookSecretSealed: secret, Policy: schemas.DefaultPolicy()},
		idv.APIKey{ID: hex.EncodeToString(random(8)), TenantID: id, SecretHash: hash[:]})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// intake does what the API and the app do for a session: create it with its
// wrapped key pair, seal every capture to the session key as the app does
// (appclient.Seal), declare the sealed sizes and hashes, store the sealed
// bytes, and submit, which appends idv.session.submitted to the outbox.
func (b *bundle) intake(t *testing.T, checks []string, document []byte, selfies ...[]byte) uuid.UUID {
	t.Helper()
	ctx := t.Context()
	sessions := postgres.NewSessions(b.db.DB)
	id := uuid.New()
	expires := b.now.AddDate(0, 0, 7).Truncate(time.Hour)
	wk, err := b.vault.NewSessionKey(ctx, b.tenant, id, expires)
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256(random(32))
	err = sessions.Create(ctx, idv.Session{ID: id, TenantID: b.tenant, Status: idv.StatusCreated,
		Checks: checks, SelfieFrames: len(selfies), RetentionDays: 7, CreatedAt: b.now, ExpiresAt: expires,
		AppTokenHash: hash[:], AppTokenExpiresAt: b.now.Add(time.Hour)},
		idv.WrappedKey{SessionID: id, TenantID: b.tenant, Epoch: wk.Epoch, PublicKey: wk.PublicKey, Wrapped: wk.Wrapped})
	if err != nil {
		t.Fatal(err)
	}
	mrz := []byte("not read by this stage")
	if b.mrz != nil {
		mrz = b.mrz
	}
	caps := []appclient.Capture{
		{Kind: schemas.DocumentFront, Plain: document},
		{Kind: schemas.MRZ, Plain: mrz},
	}
	if b.chip != nil {
		caps = append(caps, appclient.Capture{Kind: schemas.Chip, Plain: b.chip})
	}
	for i, s := range selfies {
		caps = append(caps, appclient.Capture{Kind: schemas.Selfie, Index: i, Plain: s})
	}
	app := appclient.Session{SessionID: id}
	app.Encryption.PublicKey = base64.StdEncoding.EncodeToString(wk.PublicKey)
	sealed, err := appclient.Seal(app, caps)
	if err != nil {
		t.Fatal(err)
	}
	var decl []idv.Capture
	for _, s := range sealed {
		sum, _ := hex.DecodeString(s.SHA256)
		decl = append(decl, idv.Capture{SessionID: id, TenantID: b.tenant, Kind: s.Kind, Index: s.Index,
			ObjectKey: schemas.ObjectKey(b.tenant.String(), id.String(), 1, s.Kind, s.Index),
			Size:      int64(len(s.Bytes)), SHA256: sum})
	}
	if err := sessions.DeclareCaptures(ctx, b.tenant, id, decl); err != nil {
		t.Fatal(err)
	}
	for i, s := range sealed {
		if err := b.store.Put(ctx, decl[i].ObjectKey, s.Bytes); err != nil {
			t.Fatal(err)
		}
	}
	err = sessions.Submit(ctx, b.tenant, id, 1, b.now, idv.Event{
		TenantID: b.tenant,
		MsgID:    schemas.MsgID(schemas.TypeSessionSubmitted, id.String()),
		Type:     schemas.TypeSessionSubmitted,
		Subject:  schemas.Subject(schemas.TypeSessionSubmitted, id.String()),
		Body: schemas.SessionSubmitted{SessionID: id.String(), TenantID: b.tenant.String(),
			Checks: checks, SubmittedAt: b.now},
	})

	if err != nil {
		t.Fatal(err)
	}
	return id
}

// events reads the events of a type about a session from the outbox, as
// the relay would publish them.
func (b *bundle) events(t *testing.T, eventType string, sessionID uuid.UUID) []stage.Event {
	t.Helper()
	var rows []struct {
		MsgID     string    `db:"msg_id"`
		Type      string    `db:"type"`
		Subject   string    `db:"subject"`
		Body      []byte    `db:"body"`
		CreatedAt time.Time `db:"created_at"`
	}
	if err := b.db.SelectContext(t.Context(), &rows, `SELECT msg_id, type, subject, body, created_at FROM outbox
		WHERE subject = $1 ORDER BY seq`, schemas.Subject(eventType, sessionID.String())); err != nil {
		t.Fatal(err)
	}
	var evs []stage.Event
	for _, r := range rows {
		evs = append(evs, stage.Event{Subject: r.Subject, Type: r.Type, MsgID: r.MsgID, Time: r.CreatedAt,
			Data: r.Body, NumDelivered: 1})
	}
	return evs
}

func (b *bundle) event(t *testing.T, eventType string, sessionID uuid.UUID) stage.Event {
	t.Helper()
	evs := b.events(t, eventType, sessionID)
	if len(evs) != 1 {
		t.Fatalf("%d %s events in the outbox, want 1", len(evs), eventType)
	}
	return evs[0]
}

func (b *bundle) resultCount(t *testing.T, sessionID uuid.UUID) int {
	t.Helper()
	var n int
	if err := b.db.GetContext(t.Context(), &n, `SELECT count(*) FROM check_results WHERE session_id = $1`, sessionID); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFaceMatch(t *testing.T) {
	b := setup(t)
	hopperRaw, hopper := photo(t, "grace_hopper.jpg")
	_, astronaut := photo(t, "astronaut.png")
	// Selfie frames as a phone would send them: re-encoded JPEG, each at a
	// slightly different scale.
	hopperSelfies := [][]byte{encodeJPEG(t, scaled(hopper, 0.9), 85), encodeJPEG(t, scaled(hopper, 1.1), 75),
		encodeJPEG(t, hopper, 92)}
	astronautSelfies := [][]byte{encodeJPEG(t, scaled(astronaut, 0.9), 85), encodeJPEG(t, scaled(astronaut, 1.1), 75)}
	noFace := imagetest.PNG(t, plain(640, 400))

	cases := []struct {
		name     string
		document []byte
		selfies  [][]byte
		cfg      *facematch.Config
		outcome  string
		reasons  []string
		minScore float64 // checked when scored
		maxScore float64 // checked when > 0
		scored   bool
	}{
		{name: "same person", document: hopperRaw, selfies: hopperSelfies,
			outcome: schemas.OutcomePassed, reasons: []string{}, scored: true, minScore: 0.9},
		{name: "different person", document: hopperRaw, selfies: astronautSelfies,
			outcome: schemas.OutcomeFailed, reasons: []string{"low_similarity"}, scored: true, minScore: -1, maxScore: facematch.DefaultThreshold},
		{name: "one frame of another person", document: hopperRaw, selfies: [][]byte{hopperSelfies[0], astronautSelfies[0]},
			outcome: schemas.OutcomeFailed, reasons: []string{"low_similarity"}, scored: true, minScore: -1, maxScore: facematch.DefaultThreshold},
		{name: "no face on the document", document: noFace, selfies: hopperSelfies[:1],
			outcome: schemas.OutcomeResubmit, reasons: []string{"no_face_document"}},
		{name: "no face in a selfie", document: hopperRaw, selfies: [][]byte{hopperSelfies[0], noFace},
			outcome: schemas.OutcomeResubmit, reasons: []string{"no_face_selfie"}},
		{name: "two faces in a selfie", document: hopperRaw, selfies: [][]byte{encodeJPEG(t, facetest.SideBySide(hopper, astronaut), 85)},
			outcome: schemas.OutcomeFailed, reasons: []string{"multiple_faces"}},
		{name: "faces too small", document: hopperRaw, selfies: hopperSelfies[:1], cfg: &facematch.Config{MinFacePixels: 1000},
			outcome: schemas.OutcomeResubmit, reasons: []string{"low_quality"}},
		{name: "selfie face too small", document: hopperRaw, selfies: [][]byte{encodeJPEG(t, scaled(hopper, 0.2), 90)},
			outcome: schemas.OutcomeResubmit, reasons: []string{"low_quality"}},
		{name: "selfie not an image", document: hopperRaw, selfies: [][]byte{[]byte(strings.Repeat("selfie", 50))},
			outcome: schemas.OutcomeResubmit, reasons: []string{"not_an_image"}},
		{name: "document over the pixel cap", document: hopperRaw, selfies: hopperSelfies[:1], cfg: &facematch.Config{MaxPixels: 1000},
			outcome: schemas.OutcomeResubmit, reasons: []string{"image_too_large"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := t.Context()
			st := b.stage
			if c.cfg != nil {
				st = b.newStage(*c.cfg)
			}
			id := b.intake(t, []string{schemas.CheckDocument, facematch.Check}, c.document, c.selfies...)
			submitted := b.event(t, schemas.TypeSessionSubmitted, id)
			if err := st.Handle(ctx, submitted); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			res, err := postgres.NewResults(b.db.DB).Get(ctx, b.tenant, id, facematch.Check)
			if err != nil {
				t.Fatal(err)
			}
			if string(res.Outcome) != c.outcome || !slices.Equal(res.Reasons, c.reasons) {
				t.Fatalf("result %s %q, want %s %q", res.Outcome, res.Reasons, c.outcome, c.reasons)
			}
			if c.scored {
				if res.Score == nil {
					t.Fatal("no score")
				}
				t.Logf("score %.4f", *res.Score)
				if *res.Score < c.minScore || (c.maxScore > 0 && *res.Score >= c.maxScore) {
					t.Fatalf("score %.4f, want in [%v, %v)", *res.Score, c.minScore, c.maxScore)
				}
			} else if res.Score != nil {
				t.Fatalf("score %v for a match that could not compare every frame", *res.Score)
			}
			wantThreshold := facematch.DefaultThreshold
			if c.cfg != nil && c.cfg.Threshold != 0 {
				wantThreshold = c.cfg.Threshold
			}
			if res.Threshold == nil || *res.Threshold != wantThreshold {
				t.Fatalf("threshold %v, want %v", res.Threshold, wantThreshold)
			}
			if res.Engine != b.engine.Version() || !strings.HasPrefix(res.Engine, "idv-face/") {
				t.Fatalf("engine %q, want %q", res.Engine, b.engine.Version())
			}
			wantModels := b.engine.Models()
			if len(res.Models) != len(facematch.Models) || len(wantModels) != len(facematch.Models) {
				t.Fatalf("models %v, want the hashes of %v", res.Models, facematch.Models)
			}
			for name, sum := range wantModels {
				if res.Models[name] != sum {
					t.Fatalf("models %v, want %v", res.Models, wantModels)
				}
			}
			if !res.CompletedAt.Equal(b.now) || res.FieldsSealed != nil {
				t.Fatalf("completed %v, fields %d bytes", res.CompletedAt, len(res.FieldsSealed))
			}

			completed := b.event(t, schemas.TypeCheckCompleted, id)
			if want := schemas.MsgID(schemas.TypeCheckCompleted, id.String(), facematch.Check, "1"); completed.MsgID != want {
				t.Fatalf("msg id %q, want %q", completed.MsgID, want)
			}
			var body schemas.CheckCompleted
			if err := json.Unmarshal(completed.Data, &body); err != nil {
				t.Fatal(err)
			}
			if body.SessionID != id.String() || body.TenantID != b.tenant.String() || body.Check != facematch.Check ||
				body.Outcome != c.outcome || !slices.Equal(body.Reasons, c.reasons) {
				t.Fatalf("event body %s", completed.Data)
			}
			if err := schemas.ValidateEvent(schemas.TypeCheckCompleted, completed.Data); err != nil {
				t.Fatalf("event body %s does not match its schema: %v", completed.Data, err)
			}

			// Redelivered: nothing more is stored or announced.
			if err := st.Handle(ctx, submitted); err != nil {
				t.Fatalf("second Handle: %v", err)
			}
			if n := b.resultCount(t, id); n != 1 {
				t.Fatalf("%d result rows after a redelivery, want 1", n)
			}
			if n := len(b.events(t, schemas.TypeCheckCompleted, id)); n != 1 {
				t.Fatalf("%d check.completed events after a redelivery, want 1", n)
			}
		})
	}

	// No embedding is stored: a result row is a few hundred bytes of codes
	// and hashes (a 512-d embedding as JSON would be several KiB), and no
	// float array appears in any row, event or log line.
	var rows []string
	if err := b.db.SelectContext(t.Context(), &rows, `SELECT row_to_json(r)::text FROM check_results r`); err != nil {
		t.Fatal(err)
	}
	var bodies []string
	if err := b.db.SelectContext(t.Context(), &bodies, `SELECT body::text FROM outbox`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(cases) {
		t.Fatalf("%d result rows, want %d", len(rows), len(cases))
	}
	texts := append(append(rows, bodies...), strings.Split(b.logs.String(), "\n")...)
	for _, text := range texts {
		if strings.Count(text, ",") > 100 && strings.Contains(text, "[") {
			t.Errorf("something the size of an embedding was stored or logged: %.200s…", text)
		}
	}
	for _, r := range rows {
		if len(r) > 2048 {
			t.Errorf("result row of %d bytes: %.200s…", len(r), r)
		}
	}
	if !strings.Contains(b.logs.String(), "face match completed") {
		t.Fatalf("the stage logged no completion; logs:\n%s", b.logs.String())
	}
}

// TestFaceMatchChipPortrait: with trusted CSCAs, a chip that passes passive
// authentication gives the reference face (its DG2 portrait) instead of the
// photo of the document; an untrusted chip leaves the photo the reference.
// The committed test chip's portrait is an 8×8 grey square, so taking it as
// the reference shows as no_face_document although the photo shows a face.
func TestFaceMatchChipPortrait(t *testing.T) {
	b := setup(t)
	hopperRaw, hopper := photo(t, "grace_hopper.jpg")
	dir := filepath.Join("..", "..", "document", "chip", "testdata", "go", "aa-p256")
	var files [][]byte
	for _, name := range []string{"sod.bin", "dg1.bin", "dg2.bin", "dg15.bin", "csca.der"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, data)
	}
	csca, err := chip.ParseCertificate(files[4])
	if err != nil {
		t.Fatal(err)
	}
	b.chip = bytes.Join(files[:4], nil)
	b.mrz = []byte("I<NLDSPECI20142<<<<<<<<<<<<<<<\n6503101F3401011NLD<<<<<<<<<<<8\nDE<BRUIJN<<WILLEKE<LISELOTTE<<\n") // as in DG1
	for _, c := range []struct {
		name      string
		cscas     *chip.TrustStore
		reasons   []string
		reference float64
	}{
		{"trusted chip: its portrait is the reference", chip.NewTrustStore(csca), []string{"no_face_document"}, 1},
		{"untrusted chip: the photo is the reference", chip.NewTrustStore(), []string{}, 0},
	} {
		id := b.intake(t, []string{facematch.Check}, hopperRaw, encodeJPEG(t, hopper, 90))
		if err := b.newStageTrusting(facematch.Config{}, c.cscas).Handle(t.Context(), b.event(t, schemas.TypeSessionSubmitted, id)); err != nil {
			t.Fatal(err)
		}
		res, err := postgres.NewResults(b.db.DB).Get(t.Context(), b.tenant, id, facematch.Check)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Reasons, c.reasons) || res.Advisory["reference_chip_portrait"] != c.reference {
			t.Errorf("%s: reasons %v, advisory %v", c.name, res.Reasons, res.Advisory)
		}
	}
}

func TestFaceMatchNotRequested(t *testing.T) {
	b := setup(t)
	id := b.intake(t, []string{schemas.CheckDocument}, []byte("not even an image"), []byte("nor this"))
	if err := b.stage.Handle(t.Context(), b.event(t, schemas.TypeSessionSubmitted, id)); err != nil {
		t.Fatal(err)
	}
	if n := b.resultCount(t, id); n != 0 {
		t.Fatalf("%d result rows for a session that did not ask for the check", n)
	}
}

func TestFaceMatchPermanentErrors(t *testing.T) {
	b := setup(t)
	body, _ := json.Marshal(schemas.SessionSubmitted{SessionID: uuid.NewString(), TenantID: b.tenant.String(),
		Checks: []string{facematch.Check}, SubmittedAt: b.now})
	for name, ev := range map[string]stage.Event{
		"malformed JSON":  {Type: schemas.TypeSessionSubmitted, Data: []byte(`{"session_id":`)},
		"wrong type":      {Type: schemas.TypeSessionDecided, Data: body},
		"unknown session": {Type: schemas.TypeSessionSubmitted, Data: body},
	} {
		if err := b.stage.Handle(t.Context(), ev); !stage.IsPermanent(err) {
			t.Errorf("%s: %v, want a permanent error", name, err)
		}
	}
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// countingGetter counts the reads of each object key.
type countingGetter struct {
	capture.Getter
	mu    sync.Mutex
	reads map[string]int
}

func (g *countingGetter) Get(ctx context.Context, key string, maxSize int64) ([]byte, error) {
	g.mu.Lock()
	g.reads[key]++
	g.mu.Unlock()
	return g.Getter.Get(ctx, key, maxSize)
}

// TestFaceMatchReadsEachCaptureOnce: one face match reads the document
// front and every selfie frame from storage exactly once and nothing else
// (no chip, so not the MRZ text). capture.OpenImage decodes what it reads
// once (imagegate.Decode), so this is the stage's decode count: one per
// image capture, none twice.
func TestFaceMatchReadsEachCaptureOnce(t *testing.T) {
	b := setup(t)
	raw, hopper := photo(t, "grace_hopper.jpg")
	selfies := [][]byte{encodeJPEG(t, scaled(hopper, 0.9), 85), encodeJPEG(t, hopper, 92), encodeJPEG(t, scaled(hopper, 1.1), 80)}
	g := &countingGetter{Getter: b.store, reads: map[string]int{}}
	st := facematch.New(facematch.Deps{Stores: check.Stores{
		Sessions: postgres.NewSessions(b.db.DB), Results: postgres.NewResults(b.db.DB), Keys: b.vault,
		Objects: g, Now: func() time.Time { return b.now }}, Engine: b.engine}, facematch.Config{})
	id := b.intake(t, []string{schemas.CheckDocument, facematch.Check}, raw, selfies...)
	if err := st.Handle(t.Context(), b.event(t, schemas.TypeSessionSubmitted, id)); err != nil {
		t.Fatal(err)
	}
	if len(g.reads) != 1+len(selfies) {
		t.Errorf("read %d objects, want the front and %d frames: %v", len(g.reads), len(selfies), g.reads)
	}
	for k, n := range g.reads {
		if n != 1 {
			t.Errorf("%s read %d times", k, n)
		}
	}
}
