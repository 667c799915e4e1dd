package doccheck_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/doccheck"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/document/chip"
	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/infra/logtest"
	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// bundle is one test's system: its own databases (main and key store), its
// own bucket on the embedded gateway, the real vault, and the stage with its
// logs captured.
type bundle struct {
	db    *sqlx.DB
	vault *vault.Vault
	store *objects.Store
	logs  *logtest.Buffer
	now   time.Time
	stage *doccheck.Stage
	// Tenants: one whose policy accepts specimens (as the dev tenant's
	// does), one whose policy does not.
	specimens, strict uuid.UUID
	// chipChallenge, when set, is the chip_challenge of the sessions intake
	// creates (the API draws one per session).
	chipChallenge []byte
	// copying is a tenant whose policy asks for redacted copies, when a
	// test made one.
	copying uuid.UUID
}

func setup(t testing.TB) *bundle {
	t.Helper()
	db := pgtest.NewDB(t, schemas.MainMigrations())
	keys := pgtest.NewDB(t, schemas.KeyStoreMigrations())
	master, err := vault.ParseMasterKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	if err != nil {
		t.Fatal(err)
	}
	b := &bundle{db: db, vault: vault.New(master, keys.DB), store: s3test.NewStore(t), logs: &logtest.Buffer{},
		now: time.Now().UTC().Truncate(time.Microsecond)}
	b.stage = b.newStage(b.store, doccheck.Config{}, nil)
	b.specimens = b.newTenant(t, "Specimens welcome", true)
	b.strict = b.newTenant(t, "Real documents only", false)
	return b
}

// newStage builds the stage over the bundle's parts; cscas, when not nil,
// turns chip verification on.
func (b *bundle) newStage(store doccheck.Objects, cfg doccheck.Config, cscas *chip.TrustStore) *doccheck.Stage {
	sessions := postgres.NewSessions(b.db.DB)
	return doccheck.New(doccheck.Deps{
		Sessions: sessions, Tenants: postgres.NewTenants(b.db.DB), Results: postgres.NewResults(b.db.DB),
		Keys: b.vault, Objects: store, Now: func() time.Time { return b.now },
		Log:   slog.New(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		CSCAs: cscas,
	}, cfg)
}

// newTenant stores a tenant as tenant onboarding does (policy, sealed
// webhook secret, hashed API key) through the tenant store; consumers do not
// import producers, not even in tests.
func (b *bundle) newTenant(t testing.TB, name string, allowSpecimen bool) uuid.UUID {
	t.Helper()
	p := schemas.DefaultPolicy()
	p.AllowSpecimen = allowSpecimen
	return b.newTenantWith(t, name, p)
}

// newTenantWith stores a tenant with the given policy.
func (b *bundle) newTenantWith(t testing.TB, name string, p schemas.Policy) uuid.UUID {
	t.Helper()
	id := uuid.New()
	secret, err := b.vault.SealSecret(id, "webhook-secret", random(32))
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256(random(32))
	err = postgres.NewTenants(b.db.DB).Create(t.Context(), idv.Tenant{ID: id, Name: name, RetentionDays: 7,
		WebhookURL: "https://hooks.example.test/idv", WebhookSecretSealed: secret, Policy: p},
		idv.APIKey{ID: hex.EncodeToString(random(8)), TenantID: id, SecretHash: hash[:]})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// intake does what the API and the app do for a session: create it with
// its wrapped key pair, seal every capture to the session key exactly as the
// app does (appclient.Seal), declare the sealed sizes and hashes, store the
// sealed bytes under their object keys, and submit, which appends
// idv.session.submitted to the outbox.
func (b *bundle) intake(t testing.TB, tenantID uuid.UUID, checks []string, caps []appclient.Capture) uuid.UUID {
	t.Helper()
	ctx := t.Context()
	sessions := postgres.NewSessions(b.db.DB)
	id := uuid.New()
	expires := b.now.AddDate(0, 0, 7).Truncate(time.Hour)
	wk, err := b.vault.NewSessionKey(ctx, tenantID, id, expires)
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256(random(32))
	err = sessions.Create(ctx, idv.Session{ID: id, TenantID: tenantID, Status: idv.StatusCreated,
		Checks: checks, SelfieFrames: 1, ChipChallenge: b.chipChallenge, RetentionDays: 7, CreatedAt: b.now, ExpiresAt: expires,
		AppTokenHash: hash[:], AppTokenExpiresAt: b.now.Add(time.Hour)},
		idv.WrappedKey{SessionID: id, TenantID: tenantID, Epoch: wk.Epoch, PublicKey: wk.PublicKey, Wrapped: wk.Wrapped})
	if err != nil {
		t.Fatal(err)
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
		decl = append(decl, idv.Capture{SessionID: id, TenantID: tenantID, Kind: s.Kind, Index: s.Index,
			ObjectKey: schemas.ObjectKey(tenantID.String(), id.String(), 1, s.Kind, s.Index),
			Size:      int64(len(s.Bytes)), SHA256: sum})
	}
	if err := sessions.DeclareCaptures(ctx, tenantID, id, decl); err != nil {
		t.Fatal(err)
	}
	for i, s := range sealed {
		if err := b.store.Put(ctx, decl[i].ObjectKey, s.Bytes); err != nil {
			t.Fatal(err)
		}
	}
	err = sessions.Submit(ctx, tenantID, id, 1, b.now, idv.Event{
		TenantID: tenantID,
		MsgID:    schemas.MsgID(schemas.TypeSessionSubmitted, id.String()),
		Type:     schemas.TypeSessionSubmitted,
		Subject:  schemas.Subject(schemas.TypeSessionSubmitted, id.String()),
		Body: schemas.SessionSubmitted{SessionID: id.String(), TenantID: tenantID.String(),
			Checks: checks, SubmittedAt: b.now},
	})

	if err != nil {
		t.Fatal(err)
	}
	return id
}

// event reads the one event of a type about a session from the outbox, as
// the relay would publish it.
func (b *bundle) event(t testing.TB, eventType string, sessionID uuid.UUID) stage.Event {
	t.Helper()
	evs := b.events(t, eventType, sessionID)
	if len(evs) != 1 {
		t.Fatalf("%d %s events in the outbox, want 1", len(evs), eventType)
	}
	return evs[0]
}

func (b *bundle) events(t testing.TB, eventType string, sessionID uuid.UUID) []stage.Event {
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

func (b *bundle) resultCount(t *testing.T, sessionID uuid.UUID) int {
	t.Helper()
	var n int
	if err := b.db.GetContext(t.Context(), &n, `SELECT count(*) FROM check_results WHERE session_id = $1`, sessionID); err != nil {
		t.Fatal(err)
	}
	return n
}

// td1 writes a TD1 MRZ of a Dutch identity card with every check digit
// right, in the manner of cmd/idv/specimen.go.
func td1(number, birth string, expiry time.Time) string {
	exp := expiry.Format("060102")
	line1 := pad("I<NLD"+number+checkDigit(number), 30)
	line2 := pad(birth+checkDigit(birth)+"F"+exp+checkDigit(exp)+"NLD", 29)
	line2 += checkDigit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
	line3 := pad("DE<BRUIJN<<WILLEKE<LISELOTTE", 30)
	return line1 + "\n" + line2 + "\n" + line3 + "\n"
}

func pad(s string, n int) string { return s + strings.Repeat("<", n-len(s)) }

func checkDigit(s string) string {
	d, ok := mrz.CheckDigit(s)
	if !ok {
		panic("check digit over " + s)
	}
	return string(d)
}

// personal is what may never appear outside the sealed captures: the
// specimen holder's names, its document number, every MRZ line used.
var personal = []string{"BRUIJN", "WILLEKE", "LISELOTTE", "SPECI2014"}

func TestDocumentCheck(t *testing.T) {
	t.Parallel()
	b := setup(t)
	good := td1("SPECI2014", "650310", b.now.AddDate(5, 0, 0))
	badDigit := []byte(good)
	badDigit[14] = '0' + (badDigit[14]-'0'+1)%10 // the document number's check digit
	expired := td1("SPECI2014", "650310", b.now.AddDate(-1, 0, 0))
	mrzTexts := []string{good, string(badDigit), expired}

	front := doccheck.TestPNG(t, 64, 48)
	back := doccheck.TestJPEG(t, 64, 48)
	truncated := front[:len(front)/2]
	selfie := appclient.Capture{Kind: schemas.Selfie, Plain: doccheck.TestJPEG(t, 32, 32)}
	captures := func(front []byte, text string) []appclient.Capture {
		return []appclient.Capture{
			{Kind: schemas.DocumentFront, Plain: front},
			{Kind: schemas.DocumentBack, Plain: back},
			{Kind: schemas.MRZ, Plain: []byte(text)},
			selfie,
		}
	}

	cases := []struct {
		name    string
		tenant  uuid.UUID
		caps    []appclient.Capture
		tamper  func(t *testing.T, tenantID, sessionID uuid.UUID)
		outcome string
		reasons []string
	}{
		{name: "good specimen, specimens allowed", tenant: b.specimens, caps: captures(front, good),
			outcome: schemas.OutcomePassed, reasons: []string{}},
		{name: "front only, no back", tenant: b.specimens,
			caps:    []appclient.Capture{{Kind: schemas.DocumentFront, Plain: back}, {Kind: schemas.MRZ, Plain: []byte(good)}, selfie},
			outcome: schemas.OutcomePassed, reasons: []string{}},
		{name: "corrupted check digit", tenant: b.specimens, caps: captures(front, string(badDigit)),
			outcome: schemas.OutcomeFailed, reasons: []string{"mrz_check_digit"}},
		{name: "expired document", tenant: b.specimens, caps: captures(front, expired),
			outcome: schemas.OutcomeFailed, reasons: []string{"document_expired"}},
		{name: "specimen, specimens not allowed", tenant: b.strict, caps: captures(front, good),
			outcome: schemas.OutcomeFailed, reasons: []string{"specimen_document"}},
		{name: "front is not an image", tenant: b.specimens, caps: captures(bytes.Repeat([]byte("front"), 100), good),
			outcome: schemas.OutcomeResubmit, reasons: []string{"not_an_image"}},
		{name: "front truncated", tenant: b.specimens, caps: captures(truncated, good),
			outcome: schemas.OutcomeResubmit, reasons: []string{"image_corrupt"}},
		{name: "front claims 30000×30000", tenant: b.specimens, caps: captures(doccheck.PNGClaiming(30000, 30000), good),
			outcome: schemas.OutcomeResubmit, reasons: []string{"image_too_large"}},
		{name: "not an image and expired", tenant: b.specimens, caps: captures([]byte(strings.Repeat("x", 300)), expired),
			outcome: schemas.OutcomeFailed, reasons: []string{"document_expired", "not_an_image"}},
		{name: "stored front replaced by other bytes of the same size", tenant: b.specimens, caps: captures(front, good),
			tamper: func(t *testing.T, tenantID, sessionID uuid.UUID) {
				b.flipStored(t, tenantID, sessionID, schemas.DocumentFront, false)
			},
			outcome: schemas.OutcomeFailed, reasons: []string{"capture_tampered"}},
		{name: "stored front and its declared hash both replaced", tenant: b.specimens, caps: captures(front, good),
			tamper: func(t *testing.T, tenantID, sessionID uuid.UUID) {
				b.flipStored(t, tenantID, sessionID, schemas.DocumentFront, true)
			},
			outcome: schemas.OutcomeFailed, reasons: []string{"capture_tampered"}},
		{name: "stored MRZ replaced by one byte", tenant: b.specimens, caps: captures(front, good),
			tamper: func(t *testing.T, tenantID, sessionID uuid.UUID) {
				key := schemas.ObjectKey(tenantID.String(), sessionID.String(), 1, schemas.MRZ, 0)
				if err := b.store.Put(t.Context(), key, []byte{0}); err != nil {
					t.Fatal(err)
				}
			},
			outcome: schemas.OutcomeFailed, reasons: []string{"capture_tampered"}},
	}
	t.Run("cases", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				ctx := t.Context()
				id := b.intake(t, c.tenant, []string{schemas.CheckDocument}, c.caps)
				if c.tamper != nil {
					c.tamper(t, c.tenant, id)
				}
				submitted := b.event(t, schemas.TypeSessionSubmitted, id)
				if err := b.stage.Handle(ctx, submitted); err != nil {
					t.Fatalf("Handle: %v", err)
				}
				res, err := postgres.NewResults(b.db.DB).Get(ctx, c.tenant, id, schemas.CheckDocument)
				if err != nil {
					t.Fatal(err)
				}
				if string(res.Outcome) != c.outcome || !slices.Equal(res.Reasons, c.reasons) {
					t.Fatalf("result %s %q, want %s %q", res.Outcome, res.Reasons, c.outcome, c.reasons)
				}
				if res.Engine != doccheck.Engine || len(res.Models) != 0 || res.Score != nil || !res.CompletedAt.Equal(b.now) {
					t.Fatalf("result engine %q models %v score %v completed %v", res.Engine, res.Models, res.Score, res.CompletedAt)
				}
				completed := b.event(t, schemas.TypeCheckCompleted, id)
				if want := schemas.MsgID(schemas.TypeCheckCompleted, id.String(), schemas.CheckDocument, "1"); completed.MsgID != want {
					t.Fatalf("msg id %q, want %q", completed.MsgID, want)
				}
				var body schemas.CheckCompleted
				if err := json.Unmarshal(completed.Data, &body); err != nil {
					t.Fatal(err)
				}
				want := schemas.CheckCompleted{SessionID: id.String(), TenantID: c.tenant.String(),
					Check: schemas.CheckDocument, Outcome: c.outcome, Reasons: c.reasons}
				if body.SessionID != want.SessionID || body.TenantID != want.TenantID || body.Check != want.Check ||
					body.Outcome != want.Outcome || !slices.Equal(body.Reasons, want.Reasons) {
					t.Fatalf("event body %s, want %+v", completed.Data, want)
				}
				if err := schemas.ValidateEvent(schemas.TypeCheckCompleted, completed.Data); err != nil {
					t.Fatalf("event body %s does not match its schema: %v", completed.Data, err)
				}

				// Redelivered: nothing more is stored or announced.
				if err := b.stage.Handle(ctx, submitted); err != nil {
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
	})

	// Invariant 1: nothing personal left the sealed captures.
	forbidden := slices.Clone(personal)
	for _, text := range mrzTexts {
		forbidden = append(forbidden, strings.Split(strings.TrimSpace(text), "\n")...)
	}
	logs := b.logs.String()
	if !strings.Contains(logs, "document check completed") {
		t.Fatalf("the stage logged no completion; logs:\n%s", logs)
	}
	b.assertNothingPersonal(t, forbidden)
}

// flipStored overwrites a stored capture with bytes of the same length that
// differ in one place, as someone with write access to the bucket could;
// withHash also rewrites the declared SHA-256 to match, as someone with
// write access to the database as well could.
func (b *bundle) flipStored(t *testing.T, tenantID, sessionID uuid.UUID, kind schemas.CaptureKind, withHash bool) {
	t.Helper()
	ctx := t.Context()
	key := schemas.ObjectKey(tenantID.String(), sessionID.String(), 1, kind, 0)
	stored, err := b.store.Get(ctx, key, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	stored[len(stored)/2] ^= 0x01
	if err := b.store.Put(ctx, key, stored); err != nil {
		t.Fatal(err)
	}
	if withHash {
		sum := sha256.Sum256(stored)
		if _, err := b.db.ExecContext(ctx, `UPDATE captures SET sha256 = $3 WHERE session_id = $1 AND kind = $2 AND idx = 0`,
			sessionID, string(kind), sum[:]); err != nil {
			t.Fatal(err)
		}
	}
}

// assertNothingPersonal looks for each forbidden string, case-insensitively,
// in every outbox body, every check result and every log line.
func (b *bundle) assertNothingPersonal(t *testing.T, forbidden []string) {
	t.Helper()
	var bodies, results []string
	if err := b.db.SelectContext(t.Context(), &bodies, `SELECT body::text FROM outbox`); err != nil {
		t.Fatal(err)
	}
	if err := b.db.SelectContext(t.Context(), &results, `SELECT row_to_json(r)::text FROM check_results r`); err != nil {
		t.Fatal(err)
	}
	if len(bodies) == 0 || len(results) == 0 {
		t.Fatalf("nothing to look at: %d outbox bodies, %d results", len(bodies), len(results))
	}
	places := map[string][]string{"outbox": bodies, "check_results": results, "log": {b.logs.String()}}
	for where, texts := range places {
		for _, text := range texts {
			upper := strings.ToUpper(text)
			for _, f := range forbidden {
				if strings.Contains(upper, strings.ToUpper(f)) {
					t.Errorf("%s holds personal data %q", where, f)
				}
			}
		}
	}
}

func TestDocumentCheckRacingDuplicates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.intake(t, b.specimens, []string{schemas.CheckDocument}, []appclient.Capture{
		{Kind: schemas.DocumentFront, Plain: doccheck.TestPNG(t, 32, 24)},
		{Kind: schemas.MRZ, Plain: []byte(td1("SPECI2014", "650310", b.now.AddDate(5, 0, 0)))},
	})
	ev := b.event(t, schemas.TypeSessionSubmitted, id)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = b.stage.Handle(context.Background(), ev) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("Handle: %v", err)
		}
	}
	if n := b.resultCount(t, id); n != 1 {
		t.Fatalf("%d result rows, want 1", n)
	}
	if n := len(b.events(t, schemas.TypeCheckCompleted, id)); n != 1 {
		t.Fatalf("%d check.completed events, want 1", n)
	}
}

func TestDocumentCheckNotRequested(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// The store takes any check name; the API admits only known ones.
	id := b.intake(t, b.specimens, []string{"face"}, []appclient.Capture{
		{Kind: schemas.DocumentFront, Plain: []byte("not even an image")},
		{Kind: schemas.MRZ, Plain: []byte("nonsense")},
	})
	if err := b.stage.Handle(t.Context(), b.event(t, schemas.TypeSessionSubmitted, id)); err != nil {
		t.Fatal(err)
	}
	if n := b.resultCount(t, id); n != 0 {
		t.Fatalf("%d result rows for a session that did not ask for the check", n)
	}
	if n := len(b.events(t, schemas.TypeCheckCompleted, id)); n != 0 {
		t.Fatalf("%d check.completed events for a session that did not ask for the check", n)
	}
}

func TestDocumentCheckErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	caps := func() []appclient.Capture {
		return []appclient.Capture{
			{Kind: schemas.DocumentFront, Plain: doccheck.TestPNG(t, 16, 16)},
			{Kind: schemas.MRZ, Plain: []byte(td1("SPECI2014", "650310", b.now.AddDate(5, 0, 0)))},
		}
	}
	body := func(sessionID, tenantID uuid.UUID) []byte {
		j, _ := json.Marshal(schemas.SessionSubmitted{SessionID: sessionID.String(), TenantID: tenantID.String(),
			Checks: []string{schemas.CheckDocument}, SubmittedAt: b.now})
		return j
	}
	id := b.intake(t, b.specimens, []string{schemas.CheckDocument}, caps())

	permanent := map[string]stage.Event{
		"malformed JSON":        {Type: schemas.TypeSessionSubmitted, Data: []byte(`{"session_id":`)},
		"session id not a UUID": {Type: schemas.TypeSessionSubmitted, Data: []byte(`{"session_id":"x","tenant_id":"y"}`)},
		"wrong event type":      {Type: schemas.TypeSessionDecided, Data: body(id, b.specimens)},
		"unknown session":       {Type: schemas.TypeSessionSubmitted, Data: body(uuid.New(), b.specimens)},
		"another tenant's":      {Type: schemas.TypeSessionSubmitted, Data: body(id, b.strict)},
	}
	for name, ev := range permanent {
		if err := b.stage.Handle(t.Context(), ev); !stage.IsPermanent(err) {
			t.Errorf("%s: %v, want a permanent error", name, err)
		}
	}

	// Storage that does not answer as it should is transient: retry later,
	// and record nothing meanwhile.
	broken, err := objects.New(s3test.Gateway().ObjectsConfig("no-such-bucket-" + strings.ToLower(rand.Text()[:8])))
	if err != nil {
		t.Fatal(err)
	}
	ev := b.event(t, schemas.TypeSessionSubmitted, id)
	if err := b.newStage(broken, doccheck.Config{}, nil).Handle(t.Context(), ev); err == nil || stage.IsPermanent(err) {
		t.Fatalf("storage without the bucket: %v, want a transient error", err)
	}
	if n := b.resultCount(t, id); n != 0 {
		t.Fatalf("%d result rows after a storage failure", n)
	}

	// The session key is gone (crypto-shredded): nothing can ever open the
	// captures again.
	if _, err := b.db.ExecContext(t.Context(), `DELETE FROM session_keys WHERE session_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if err := b.stage.Handle(t.Context(), ev); !stage.IsPermanent(err) {
		t.Fatalf("session key gone: %v, want a permanent error", err)
	}
	if n := b.resultCount(t, id); n != 0 {
		t.Fatalf("%d result rows without a session key", n)
	}

	// A wrapped key that was altered does not unwrap: permanent too.
	other := b.intake(t, b.specimens, []string{schemas.CheckDocument}, caps())
	if _, err := b.db.ExecContext(t.Context(), `UPDATE session_keys SET wrapped_key = $2 WHERE session_id = $1`,
		other, random(60)); err != nil {
		t.Fatal(err)
	}
	if err := b.stage.Handle(t.Context(), b.event(t, schemas.TypeSessionSubmitted, other)); !stage.IsPermanent(err) {
		t.Fatalf("altered wrapped key: %v, want a permanent error", err)
	}
}

func TestDocumentCheckLimits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	front := doccheck.TestPNG(t, 64, 48) // 3072 pixels
	mrzText := []byte(td1("SPECI2014", "650310", b.now.AddDate(5, 0, 0)))
	cases := []struct {
		name string
		cfg  doccheck.Config
		want []string
	}{
		{"within both", doccheck.Config{MaxPixels: 64 * 48, MaxImageBytes: int64(seal.Overhead + len(front))}, []string{}},
		{"one pixel too many", doccheck.Config{MaxPixels: 64*48 - 1}, []string{"image_too_large"}},
		{"one byte too many", doccheck.Config{MaxImageBytes: int64(seal.Overhead + len(front) - 1)}, []string{"image_too_large"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			id := b.intake(t, b.specimens, []string{schemas.CheckDocument}, []appclient.Capture{
				{Kind: schemas.DocumentFront, Plain: front}, {Kind: schemas.MRZ, Plain: mrzText}})
			if err := b.newStage(b.store, c.cfg, nil).Handle(t.Context(), b.event(t, schemas.TypeSessionSubmitted, id)); err != nil {
				t.Fatal(err)
			}
			res, err := postgres.NewResults(b.db.DB).Get(t.Context(), b.specimens, id, schemas.CheckDocument)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Reasons, c.want) {
				t.Fatalf("reasons %q, want %q", res.Reasons, c.want)
			}
		})
	}
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// TestResultCompletesAfterTheCheck: the result's completed_at is the time
// the check finished, not when it began; the document's validity is judged
// at the beginning. The clock here moves an hour on every call after the
// first.
func TestResultCompletesAfterTheCheck(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var calls int
	clock := func() time.Time {
		calls++
		if calls == 1 {
			return b.now
		}
		return b.now.Add(time.Duration(calls-1) * time.Hour)
	}
	st := doccheck.New(doccheck.Deps{
		Sessions: postgres.NewSessions(b.db.DB), Tenants: postgres.NewTenants(b.db.DB), Results: postgres.NewResults(b.db.DB),
		Keys: b.vault, Objects: b.store, Now: clock, Log: slog.New(slog.DiscardHandler)}, doccheck.Config{})
	good := td1("SPECI2014", "650310", b.now.AddDate(5, 0, 0))
	id := b.intake(t, b.specimens, []string{schemas.CheckDocument}, []appclient.Capture{
		{Kind: schemas.DocumentFront, Plain: doccheck.TestPNG(t, 64, 48)}, {Kind: schemas.MRZ, Plain: []byte(good)}})
	calls = 0
	if err := st.Handle(t.Context(), b.event(t, schemas.TypeSessionSubmitted, id)); err != nil {
		t.Fatal(err)
	}
	res, err := postgres.NewResults(b.db.DB).Get(t.Context(), b.specimens, id, schemas.CheckDocument)
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Outcome) != schemas.OutcomePassed || !res.CompletedAt.After(b.now) {
		t.Fatalf("result %s %v completed %v; want passed, completed after the check began (%v)", res.Outcome, res.Reasons, res.CompletedAt, b.now)
	}
}
