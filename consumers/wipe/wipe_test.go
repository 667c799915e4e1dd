package wipe_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/consumers/wipe"
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
// logs and metrics captured.
type bundle struct {
	db      *sqlx.DB
	vault   *vault.Vault
	store   *objects.Store
	wipes   *postgres.Wipes
	logs    *logtest.Buffer
	reg     *prometheus.Registry
	metrics *wipe.Metrics
	now     time.Time
	stage   *wipe.Stage
	tenant  uuid.UUID
}

func setup(t testing.TB) *bundle {
	t.Helper()
	db := pgtest.NewDB(t, schemas.MainMigrations())
	keys := pgtest.NewDB(t, schemas.KeyStoreMigrations())
	s, err := vault.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	master, err := vault.ParseMasterKey(s)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	b := &bundle{db: db, vault: vault.New(master, keys.DB), store: s3test.NewStore(t), wipes: postgres.NewWipes(db.DB),
		logs: &logtest.Buffer{}, reg: reg, metrics: wipe.NewMetrics(reg), now: time.Now().UTC().Truncate(time.Microsecond)}
	b.stage = b.newStage(b.store)
	b.tenant = b.newTenant(t)
	return b
}

func (b *bundle) newStage(store idv.PrefixDeleter) *wipe.Stage {
	return wipe.New(wipe.Deps{Sessions: b.wipes, Objects: store, Signer: b.vault, Metrics: b.metrics,
		Now: func() time.Time { return b.now },
		Log: slog.New(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}, wipe.Config{})
}

// newTenant stores a tenant as onboarding does, through the tenant store
// (consumers do not import producers, not even in tests).
func (b *bundle) newTenant(t testing.TB) uuid.UUID {
	t.Helper()
	id := uuid.New()
	secret, err := b.vault.SealSecret(id, schemas.WebhookSecretPurpose, random(32))
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256(random(32))
	err = postgres.NewTenants(b.db.DB).Create(t.Context(), idv.Tenant{ID: id, Name: "Tenant " + id.String()[:8],
		RetentionDays: 7, WebhookURL: "https://hooks.example.test/idv", WebhookSecretSealed: secret,
		Policy: schemas.DefaultPolicy()}, idv.APIKey{ID: hex.EncodeToString(random(8)), TenantID: id, SecretHash: hash[:]})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// personal is what the captures hold and what may never appear outside
// them: the specimen holder's names and document number.
var personal = []string{"BRUIJN", "WILLEKE", "LISELOTTE", "SPECI2014"}

// session is a stored session: its ids, the wrapped key as stored, and its
// sealed captures with their object keys.
type session struct {
	id      uuid.UUID
	key     idv.WrappedKey
	sealed  []appclient.Sealed
	objKeys []string
}

// intake does what the API, the app and the pipeline do for a session:
// create it with its wrapped key pair, seal every capture to the session key
// as the app does, declare and store the sealed bytes, submit, and decide
// it approved.
func (b *bundle) intake(t testing.TB) session {
	t.Helper()
	ctx := t.Context()
	sessions := postgres.NewSessions(b.db.DB)
	id := uuid.New()
	created := b.now.Add(-8 * 24 * time.Hour)
	expires := created.Add(7 * 24 * time.Hour).Truncate(time.Hour)
	wk, err := b.vault.NewSessionKey(ctx, b.tenant, id, expires)
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256(random(32))
	err = sessions.Create(ctx, idv.Session{ID: id, TenantID: b.tenant, Status: idv.StatusCreated,
		Checks: []string{schemas.CheckDocument}, SelfieFrames: 2, RetentionDays: 7, CreatedAt: created, ExpiresAt: expires,
		AppTokenHash: hash[:], AppTokenExpiresAt: created.Add(time.Hour)},
		idv.WrappedKey{SessionID: id, TenantID: b.tenant, Epoch: wk.Epoch, PublicKey: wk.PublicKey, Wrapped: wk.Wrapped})
	if err != nil {
		t.Fatal(err)
	}
	app := appclient.Session{SessionID: id}
	app.Encryption.PublicKey = base64.StdEncoding.EncodeToString(wk.PublicKey)
	mrz := "I<NLDSPECI20142999999990<<<<<8\n6503101F2403096NLD<<<<<<<<<<<8\nDE<BRUIJN<<WILLEKE<LISELOTTE<<<\n"
	sealed, err := appclient.Seal(app, []appclient.Capture{
		{Kind: schemas.DocumentFront, Plain: []byte("front image of WILLEKE DE BRUIJN")},
		{Kind: schemas.DocumentBack, Plain: []byte("back image, document SPECI2014")},
		{Kind: schemas.Selfie, Index: 0, Plain: []byte("selfie frame 0 of LISELOTTE")},
		{Kind: schemas.Selfie, Index: 1, Plain: []byte("selfie frame 1 of LISELOTTE")},
		{Kind: schemas.MRZ, Plain: []byte(mrz)},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := session{id: id, key: wk, sealed: sealed}
	var decl []idv.Capture
	for _, c := range sealed {
		sum, _ := hex.DecodeString(c.SHA256)
		key := schemas.ObjectKey(b.tenant.String(), id.String(), 1, c.Kind, c.Index)
		decl = append(decl, idv.Capture{SessionID: id, TenantID: b.tenant, Kind: c.Kind, Index: c.Index,
			ObjectKey: key, Size: int64(len(c.Bytes)), SHA256: sum})
		s.objKeys = append(s.objKeys, key)
	}
	if err := sessions.DeclareCaptures(ctx, b.tenant, id, decl); err != nil {
		t.Fatal(err)
	}
	for i, c := range sealed {
		if err := b.store.Put(ctx, s.objKeys[i], c.Bytes); err != nil {
			t.Fatal(err)
		}
	}
	err = sessions.Submit(ctx, b.tenant, id, 1, created.Add(time.Minute), idv.Event{
		TenantID: b.tenant, MsgID: schemas.MsgID(schemas.TypeSessionSubmitted, id.String()),
		Type: schemas.TypeSessionSubmitted, Subject: schemas.Subject(schemas.TypeSessionSubmitted, id.String()),
		Body: schemas.SessionSubmitted{SessionID: id.String(), TenantID: b.tenant.String(),
			Checks: []string{schemas.CheckDocument}, SubmittedAt: created.Add(time.Minute)}})

	if err != nil {
		t.Fatal(err)
	}
	b.exec(t, `INSERT INTO check_results (session_id, tenant_id, check_name, outcome, engine)
		VALUES ($1, $2, 'document', 'passed', 'test/1')`, id, b.tenant)
	b.exec(t, `UPDATE sessions SET status = 'decided', decision = 'approved', decided_at = $2 WHERE session_id = $1`,
		id, created.Add(2*time.Minute))
	return s
}

// requestWipe does what RequestWipe does (written by another change at the
// time of this test): the session row records the request and the
// idv.session.expired event goes to the outbox in one transaction. It
// returns the event as the relay would deliver it.
func (b *bundle) requestWipe(t testing.TB, id uuid.UUID, reason string) stage.Event {
	t.Helper()
	at := b.now.Add(-time.Minute)
	var expires time.Time
	if err := b.db.GetContext(t.Context(), &expires, `SELECT expires_at FROM sessions WHERE session_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(schemas.SessionExpired{SessionID: id.String(), TenantID: b.tenant.String(), Reason: reason,
		ExpiresAt: expires.UTC(), RequestedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	if err := schemas.ValidateEvent(schemas.TypeSessionExpired, body); err != nil {
		t.Fatal(err)
	}
	tx := b.db.MustBeginTx(t.Context(), nil)
	defer tx.Rollback()
	tx.MustExecContext(t.Context(), `UPDATE sessions SET status = 'expired', wipe_reason = $2, wipe_requested_at = $3
		WHERE session_id = $1`, id, reason, at)
	tx.MustExecContext(t.Context(), `INSERT INTO outbox (tenant_id, msg_id, type, subject, body) VALUES ($1, $2, $3, $4, $5)`,
		b.tenant, schemas.MsgID(schemas.TypeSessionExpired, id.String()), schemas.TypeSessionExpired,
		schemas.Subject(schemas.TypeSessionExpired, id.String()), string(body))
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return stage.Event{Subject: schemas.Subject(schemas.TypeSessionExpired, id.String()), Type: schemas.TypeSessionExpired,
		MsgID: schemas.MsgID(schemas.TypeSessionExpired, id.String()), Time: at, Data: body, NumDelivered: 1}
}

func (b *bundle) exec(t testing.TB, query string, args ...any) {
	t.Helper()
	if _, err := b.db.ExecContext(t.Context(), query, args...); err != nil {
		t.Fatal(err)
	}
}

func (b *bundle) count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := b.db.GetContext(t.Context(), &n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// sessionRow is the session as the tombstone keeps it.
type sessionRow struct {
	Status          string     `db:"status"`
	Decision        *string    `db:"decision"`
	WipeReason      *string    `db:"wipe_reason"`
	WipeRequestedAt *time.Time `db:"wipe_requested_at"`
	KeyDestroyedAt  *time.Time `db:"key_destroyed_at"`
	DeletedAt       *time.Time `db:"deleted_at"`
}

func (b *bundle) row(t *testing.T, id uuid.UUID) sessionRow {
	t.Helper()
	var r sessionRow
	if err := b.db.GetContext(t.Context(), &r, `SELECT status, decision, wipe_reason, wipe_requested_at,
		key_destroyed_at, deleted_at FROM sessions WHERE session_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return r
}

// deletedEvents returns the session's idv.session.deleted outbox rows.
func (b *bundle) deletedEvents(t *testing.T, id uuid.UUID) [][]byte {
	t.Helper()
	var rows []struct {
		MsgID string `db:"msg_id"`
		Type  string `db:"type"`
		Body  []byte `db:"body"`
	}
	if err := b.db.SelectContext(t.Context(), &rows, `SELECT msg_id, type, body FROM outbox WHERE subject = $1`,
		schemas.Subject(schemas.TypeSessionDeleted, id.String())); err != nil {
		t.Fatal(err)
	}
	var bodies [][]byte
	for _, r := range rows {
		if r.Type != schemas.TypeSessionDeleted || r.MsgID != schemas.MsgID(schemas.TypeSessionDeleted, id.String()) {
			t.Fatalf("deleted event with type %q, msg id %q", r.Type, r.MsgID)
		}
		bodies = append(bodies, r.Body)
	}
	return bodies
}

// objectsLeft returns the session's object keys still in storage.
func (b *bundle) objectsLeft(t *testing.T, s session) []string {
	t.Helper()
	var left []string
	for _, k := range s.objKeys {
		_, err := b.store.Stat(t.Context(), k)
		if err == nil {
			left = append(left, k)
		} else if !errors.Is(err, idv.ErrObjectNotFound) {
			t.Fatal(err)
		}
	}
	return left
}

// assertWiped checks everything a finished wipe promises and returns the
// parsed receipt: key row, objects and captures rows gone; the session a
// tombstone; one receipt, signed and free of anything but ids, codes, times
// and counts; one idv.session.deleted event that matches its schema.
func (b *bundle) assertWiped(t *testing.T, s session, reason string) schemas.DeletionReceipt {
	t.Helper()
	ctx := t.Context()
	if n := b.count(t, `SELECT count(*) FROM session_keys WHERE session_id = $1`, s.id); n != 0 {
		t.Errorf("%d key rows left", n)
	}
	if left := b.objectsLeft(t, s); len(left) != 0 {
		t.Errorf("objects left: %v", left)
	}
	// Nothing at all under the prefix: no version, marker or upload either.
	if n, err := b.store.DeletePrefix(ctx, schemas.SessionPrefix(b.tenant.String(), s.id.String())); n != 0 || err != nil {
		t.Errorf("under the session's prefix after the wipe: %d entries, %v", n, err)
	}
	if n := b.count(t, `SELECT count(*) FROM captures WHERE session_id = $1`, s.id); n != 0 {
		t.Errorf("%d captures rows left", n)
	}
	if n := b.count(t, `SELECT count(*) FROM check_results WHERE session_id = $1`, s.id); n != 1 {
		t.Errorf("%d check results, want the 1 (codes only) kept", n)
	}
	r := b.row(t, s.id)
	if r.Status != "deleted" || r.DeletedAt == nil || r.KeyDestroyedAt == nil || r.WipeRequestedAt == nil ||
		r.WipeReason == nil || *r.WipeReason != reason || r.Decision == nil || *r.Decision != schemas.DecisionApproved ||
		r.KeyDestroyedAt.After(*r.DeletedAt) || r.WipeRequestedAt.After(*r.KeyDestroyedAt) {
		t.Fatalf("tombstone %+v", r)
	}

	var receiptIDs []uuid.UUID
	if err := b.db.SelectContext(ctx, &receiptIDs, `SELECT receipt_id FROM deletion_receipts WHERE session_id = $1`, s.id); err != nil {
		t.Fatal(err)
	}
	if len(receiptIDs) != 1 {
		t.Fatalf("%d receipts, want 1", len(receiptIDs))
	}
	stored, err := b.wipes.Receipt(ctx, b.tenant, receiptIDs[0])
	if err != nil {
		t.Fatal(err)
	}
	pub, keyID, err := b.vault.ReceiptPublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stored.KeyID != keyID || !idv.VerifyReceipt(pub, stored.Statement, stored.Signature) {
		t.Fatalf("receipt signed by %s does not verify with the receipt key %s", stored.KeyID, keyID)
	}
	receipt, err := idv.ParseReceipt(stored.Statement)
	if err != nil {
		t.Fatal(err)
	}
	if receipt.ReceiptID != stored.ReceiptID.String() || receipt.SessionID != s.id.String() || receipt.TenantID != b.tenant.String() ||
		receipt.Reason != reason || receipt.Decision != schemas.DecisionApproved || !receipt.DeletedAt.Equal(*r.DeletedAt) ||
		!receipt.KeyDestroyedAt.Equal(*r.KeyDestroyedAt) || !receipt.WipeRequestedAt.Equal(*r.WipeRequestedAt) ||
		receipt.RowsDeleted[schemas.ReceiptRowsCaptures] != len(s.sealed) || receipt.RowsDeleted[schemas.ReceiptRowsSessionKeys] != 1 ||
		receipt.Statement != schemas.DeletionStatement {
		t.Fatalf("receipt %s", stored.Statement)
	}
	b.assertNoPersonalData(t, s, "receipt", stored.Statement, s.id, b.tenant, stored.ReceiptID)

	bodies := b.deletedEvents(t, s.id)
	if len(bodies) != 1 {
		t.Fatalf("%d deleted events, want 1", len(bodies))
	}
	if err := schemas.ValidateEvent(schemas.TypeSessionDeleted, bodies[0]); err != nil {
		t.Fatalf("deleted event %s: %v", bodies[0], err)
	}
	var ev schemas.SessionDeleted
	if err := json.Unmarshal(bodies[0], &ev); err != nil {
		t.Fatal(err)
	}
	if ev.SessionID != s.id.String() || ev.TenantID != b.tenant.String() || ev.ReceiptID != stored.ReceiptID.String() ||
		ev.Reason != reason || !ev.DeletedAt.Equal(*r.DeletedAt) {
		t.Fatalf("deleted event %s", bodies[0])
	}
	b.assertNoPersonalData(t, s, "deleted event", bodies[0], s.id, b.tenant, stored.ReceiptID)
	b.assertNoPersonalData(t, s, "logs", []byte(b.logs.String()), uuid.Nil)
	return receipt
}

var uuidPattern = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// assertNoPersonalData fails if text holds anything of the captures: their
// plaintext, sealed bytes, hashes or object keys, or (when allowed ids are
// given) any UUID but those.
func (b *bundle) assertNoPersonalData(t *testing.T, s session, what string, text []byte, allowed ...uuid.UUID) {
	t.Helper()
	for _, p := range personal {
		if bytes.Contains(bytes.ToUpper(text), []byte(p)) {
			t.Errorf("%s holds %q", what, p)
		}
	}
	for i, c := range s.sealed {
		for _, needle := range []string{c.SHA256, base64.StdEncoding.EncodeToString(c.Bytes[:32]), hex.EncodeToString(c.Bytes[:32]),
			s.objKeys[i], string(c.Kind) + "/"} {
			if bytes.Contains(text, []byte(needle)) {
				t.Errorf("%s holds %q of capture %s", what, needle, schemas.CaptureRef(c.Kind, c.Index))
			}
		}
	}
	if len(allowed) == 1 && allowed[0] == uuid.Nil {
		return
	}
	for _, m := range uuidPattern.FindAll(text, -1) {
		if !slices.ContainsFunc(allowed, func(id uuid.UUID) bool { return id.String() == string(m) }) {
			t.Errorf("%s holds the id %s, which is not the session's, tenant's or receipt's", what, m)
		}
	}
}

func TestWipe(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.intake(t)
	other := b.intake(t) // another session of the tenant: untouched
	ev := b.requestWipe(t, s.id, schemas.WipeCustomerRequest)

	if err := b.stage.Handle(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	receipt := b.assertWiped(t, s, schemas.WipeCustomerRequest)
	if receipt.ObjectsDeleted != len(s.objKeys) {
		t.Errorf("receipt counts %d objects deleted, want %d", receipt.ObjectsDeleted, len(s.objKeys))
	}
	if r := b.row(t, s.id); !r.KeyDestroyedAt.Equal(b.now) || !r.DeletedAt.Equal(b.now) {
		t.Errorf("key destroyed at %s, deleted at %s; want both %s", r.KeyDestroyedAt, r.DeletedAt, b.now)
	}
	if left := b.objectsLeft(t, other); len(left) != len(other.objKeys) {
		t.Errorf("another session lost objects: %d of %d left", len(left), len(other.objKeys))
	}
	if n := b.count(t, `SELECT count(*) FROM session_keys WHERE session_id = $1`, other.id); n != 1 {
		t.Error("another session lost its key")
	}
	if !strings.Contains(b.logs.String(), "session wiped") {
		t.Errorf("no wipe logged:\n%s", b.logs)
	}
	if got := b.counter(t, "idv_wipe_objects_deleted_total"); got != float64(len(s.objKeys)) {
		t.Errorf("idv_wipe_objects_deleted_total = %v, want %d", got, len(s.objKeys))
	}

	// Redelivered (the ack was lost), later: nothing changes, nothing more
	// is announced, no second receipt.
	before := b.row(t, s.id)
	b.now = b.now.Add(time.Hour)
	ev.NumDelivered = 2
	if err := b.newStage(b.store).Handle(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	again := b.assertWiped(t, s, schemas.WipeCustomerRequest)
	if again.ReceiptID != receipt.ReceiptID || !b.row(t, s.id).DeletedAt.Equal(*before.DeletedAt) {
		t.Fatal("a redelivery changed the receipt or the tombstone")
	}
	if got := b.counter(t, "idv_wipe_keys_destroyed_total"); got != 1 {
		t.Errorf("idv_wipe_keys_destroyed_total = %v, want 1", got)
	}
}

// TestWipeSignsWithTheRotatedKey: after `idv vault rotate-signing` the
// next receipt is signed with the new key, without restarting the stage,
// and the key is one the API serves as current.
func TestWipeSignsWithTheRotatedKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.intake(t)
	rot, err := b.vault.RotateSigningKey(t.Context(), vault.PurposeReceipt)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.stage.Handle(t.Context(), b.requestWipe(t, s.id, schemas.WipeCustomerRequest)); err != nil {
		t.Fatal(err)
	}
	b.assertWiped(t, s, schemas.WipeCustomerRequest) // verifies with the current key
	var keyID string
	if err := b.db.GetContext(t.Context(), &keyID, `SELECT key_id FROM deletion_receipts WHERE session_id = $1`, s.id); err != nil {
		t.Fatal(err)
	}
	if keyID != rot.NewKeyID || keyID == rot.OldKeyID {
		t.Fatalf("receipt signed by %s after the rotation from %s to %s", keyID, rot.OldKeyID, rot.NewKeyID)
	}
}

// counter returns the value of a counter of the stage's registry, and
// fails if any of its metrics has labels (docs/design.md invariant 1).
func (b *bundle) counter(t *testing.T, name string) float64 {
	t.Helper()
	families, err := b.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	v := -1.0
	for _, f := range families {
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != 0 {
				t.Errorf("metric %s has labels", f.GetName())
			}
			if f.GetName() == name {
				v = m.GetCounter().GetValue()
			}
		}
	}
	if v < 0 {
		t.Fatalf("no metric %s", name)
	}
	return v
}

// A worker killed after destroying the key and before deleting objects:
// the redelivery finds the key gone and completes the wipe.
func TestWipeAfterCrashBetweenKeyAndObjects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.intake(t)
	ev := b.requestWipe(t, s.id, schemas.WipeExpired)
	killedAt := b.now
	if _, destroyed, err := b.wipes.DestroySessionKey(t.Context(), b.tenant, s.id, killedAt); err != nil || !destroyed {
		t.Fatalf("DestroySessionKey = %v, %v", destroyed, err)
	}
	if left := b.objectsLeft(t, s); len(left) != len(s.objKeys) {
		t.Fatalf("objects before the redelivery: %v", left)
	}

	b.now = b.now.Add(time.Minute)
	ev.NumDelivered = 2
	if err := b.newStage(b.store).Handle(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	receipt := b.assertWiped(t, s, schemas.WipeExpired)
	if !receipt.KeyDestroyedAt.Equal(killedAt) || !receipt.DeletedAt.Equal(b.now) {
		t.Errorf("receipt: key destroyed at %s, deleted at %s; want %s and %s", receipt.KeyDestroyedAt, receipt.DeletedAt, killedAt, b.now)
	}
	if receipt.ObjectsDeleted != len(s.objKeys) {
		t.Errorf("receipt counts %d objects, want %d", receipt.ObjectsDeleted, len(s.objKeys))
	}
}

// Storage down: the key is destroyed first and stays destroyed, the error is
// plain (the loop retries with backoff), and nothing else is touched; once
// storage is back the wipe completes.
func TestWipeWhileStorageIsDown(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.intake(t)
	ev := b.requestWipe(t, s.id, schemas.WipeExpired)

	g := s3test.Gateway()
	missingBucket, err := objects.New(g.ObjectsConfig("t-missing-" + strings.ToLower(uuid.NewString()[:8])))
	if err != nil {
		t.Fatal(err)
	}
	cfg := g.ObjectsConfig(b.store.Bucket())
	cfg.Endpoint = closedEndpoint(t)
	closedPort, err := objects.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, store := range map[string]*objects.Store{"missing bucket": missingBucket, "closed port": closedPort} {
		err := b.newStage(store).Handle(t.Context(), ev)
		if err == nil || stage.IsPermanent(err) {
			t.Fatalf("%s: Handle = %v, want a plain error to retry", name, err)
		}
		if n := b.count(t, `SELECT count(*) FROM session_keys WHERE session_id = $1`, s.id); n != 0 {
			t.Fatalf("%s: the key was not destroyed before storage was touched", name)
		}
		r := b.row(t, s.id)
		if r.KeyDestroyedAt == nil || r.DeletedAt != nil || r.Status != "expired" {
			t.Fatalf("%s: session %+v", name, r)
		}
		if n := b.count(t, `SELECT count(*) FROM captures WHERE session_id = $1`, s.id); n != len(s.sealed) {
			t.Fatalf("%s: %d captures rows, want all %d kept until the objects are gone", name, n, len(s.sealed))
		}
		if n := b.count(t, `SELECT count(*) FROM deletion_receipts WHERE session_id = $1`, s.id); n != 0 {
			t.Fatalf("%s: a receipt before the objects were deleted", name)
		}
		if len(b.deletedEvents(t, s.id)) != 0 {
			t.Fatalf("%s: a deleted event before the objects were deleted", name)
		}
		if left := b.objectsLeft(t, s); len(left) != len(s.objKeys) {
			t.Fatalf("%s: objects %v", name, left)
		}
		ev.NumDelivered++
	}

	if err := b.stage.Handle(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	b.assertWiped(t, s, schemas.WipeExpired)
}

// Two workers with the same message at once (a redelivery while the first
// still runs): one receipt, one event.
func TestWipeConcurrently(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.intake(t)
	ev := b.requestWipe(t, s.id, schemas.WipeDeclinedByUser)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = b.newStage(b.store).Handle(t.Context(), ev) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	b.assertWiped(t, s, schemas.WipeDeclinedByUser)
}

// Many sessions of one tenant wiped at once, as many at a time as the
// stage runs: every wipe appends its data_deleted entry to the one chain of
// the tenant, and the chain verifies entry by entry afterwards.
func TestConcurrentWipesOfOneTenantKeepOneChain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	audit := postgres.NewAudit(b.db.DB)
	events := make([]stage.Event, 2*wipe.Spec.Concurrency)
	ids := make([]uuid.UUID, len(events))
	for i := range events {
		s := b.intake(t)
		ids[i], events[i] = s.id, b.requestWipe(t, s.id, schemas.WipeExpired)
	}
	before, err := audit.Verify(t.Context(), b.tenant)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(events))
	for i, ev := range events {
		wg.Go(func() { errs[i] = b.stage.Handle(t.Context(), ev) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("wipe %d: %v", i, err)
		}
	}
	after, err := audit.Verify(t.Context(), b.tenant)
	if err != nil {
		t.Fatalf("chain after %d concurrent wipes: %v", len(events), err)
	}
	if after-before != len(events) {
		t.Errorf("%d entries appended by %d wipes", after-before, len(events))
	}
	for _, id := range ids {
		if n := b.count(t, `SELECT count(*) FROM audit_events WHERE session_id = $1 AND action = $2`,
			id, idv.AuditDataDeleted); n != 1 {
			t.Errorf("session %s: %d data_deleted entries, want 1", id, n)
		}
	}
}

// The wipe deletes the session's key row; a copy of it taken before (a
// database backup) still unwraps while the epoch lives, and opens a copy of
// a capture taken before (a bucket backup). Once the epoch is destroyed —
// the retention sweep's job, not the wipe's — neither opens ever again.
func TestCopiedKeyDiesWithTheEpoch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.intake(t)
	var backup struct {
		SessionID  uuid.UUID `db:"session_id"`
		TenantID   uuid.UUID `db:"tenant_id"`
		Epoch      time.Time `db:"epoch"`
		PublicKey  []byte    `db:"public_key"`
		WrappedKey []byte    `db:"wrapped_key"`
	}
	if err := b.db.GetContext(t.Context(), &backup, `SELECT session_id, tenant_id, epoch, public_key, wrapped_key
		FROM session_keys WHERE session_id = $1`, s.id); err != nil {
		t.Fatal(err)
	}
	copied := idv.WrappedKey{TenantID: backup.TenantID, SessionID: backup.SessionID, Epoch: backup.Epoch,
		PublicKey: backup.PublicKey, Wrapped: backup.WrappedKey}
	capture := s.sealed[len(s.sealed)-1] // the MRZ
	info := seal.CaptureInfo(s.id, 1, string(capture.Kind), capture.Index)

	if err := b.stage.Handle(t.Context(), b.requestWipe(t, s.id, schemas.WipeExpired)); err != nil {
		t.Fatal(err)
	}
	b.assertWiped(t, s, schemas.WipeExpired)
	sk, err := b.vault.Unwrap(t.Context(), copied)
	if err != nil {
		t.Fatalf("before the epoch is destroyed a copied key still unwraps (which is why the sweep must follow): %v", err)
	}
	if plain, err := seal.Open(sk, info, capture.Bytes); err != nil || !bytes.Contains(plain, []byte("BRUIJN")) {
		t.Fatalf("the copies should still open before the epoch is destroyed: %v", err)
	}

	if err := b.vault.DestroyEpoch(t.Context(), b.tenant, copied.Epoch); err != nil {
		t.Fatal(err)
	}
	for name, k := range map[string]idv.WrappedKey{"copied": copied, "as created": s.key} {
		if sk, err := b.vault.Unwrap(t.Context(), k); !errors.Is(err, idv.ErrEpochDestroyed) || sk != nil {
			t.Fatalf("Unwrap of the %s key after DestroyEpoch = %v, %v; want ErrEpochDestroyed", name, sk, err)
		}
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.intake(t)

	// No wipe requested: nothing is destroyed, whatever the event says.
	unrequested := expiredEvent(s.id, b.tenant, b.now)
	if err := b.stage.Handle(t.Context(), unrequested); !stage.IsPermanent(err) || !errors.Is(err, wipe.ErrNotRequested) {
		t.Fatalf("Handle without a wipe request = %v, want Permanent ErrNotRequested", err)
	}
	if n := b.count(t, `SELECT count(*) FROM session_keys WHERE session_id = $1`, s.id); n != 1 {
		t.Fatal("a session whose wipe nobody requested lost its key")
	}
	if left := b.objectsLeft(t, s); len(left) != len(s.objKeys) {
		t.Fatal("a session whose wipe nobody requested lost objects")
	}

	// Another tenant's event about this session finds nothing to wipe.
	foreign := expiredEvent(s.id, b.newTenant(t), b.now)
	if err := b.stage.Handle(t.Context(), foreign); !stage.IsPermanent(err) || !errors.Is(err, idv.ErrNotFound) {
		t.Fatalf("another tenant's event = %v, want Permanent ErrNotFound", err)
	}

	ev := b.requestWipe(t, s.id, schemas.WipeExpired)
	withBody := func(s string) stage.Event { e := ev; e.Data = []byte(s); return e }
	malformed := map[string]stage.Event{
		"not JSON":          withBody("{"),
		"no session":        withBody(`{"tenant_id":"` + b.tenant.String() + `"}`),
		"tenant not a UUID": withBody(`{"session_id":"` + s.id.String() + `","tenant_id":"acme"}`),
		"other type":        func() stage.Event { e := ev; e.Type = schemas.TypeSessionDecided; return e }(),
		"other subject": func() stage.Event {
			e := ev
			e.Subject = schemas.Subject(schemas.TypeSessionExpired, uuid.NewString())
			return e
		}(),
	}
	for name, e := range malformed {
		if err := b.stage.Handle(t.Context(), e); !stage.IsPermanent(err) || !errors.Is(err, wipe.ErrMalformedEvent) {
			t.Errorf("%s: Handle = %v, want Permanent ErrMalformedEvent", name, err)
		}
	}
	missing := expiredEvent(uuid.New(), b.tenant, b.now)
	if err := b.stage.Handle(t.Context(), missing); !stage.IsPermanent(err) || !errors.Is(err, idv.ErrNotFound) {
		t.Errorf("unknown session: Handle = %v, want Permanent ErrNotFound", err)
	}
	if n := b.count(t, `SELECT count(*) FROM session_keys WHERE session_id = $1`, s.id); n != 1 {
		t.Fatal("a refused event destroyed the key")
	}
}

// expiredEvent is an idv.session.expired event as the relay delivers it,
// whether or not a wipe was requested.
func expiredEvent(sessionID, tenantID uuid.UUID, at time.Time) stage.Event {
	body, _ := json.Marshal(schemas.SessionExpired{SessionID: sessionID.String(), TenantID: tenantID.String(),
		Reason: schemas.WipeExpired, ExpiresAt: at, RequestedAt: at})
	return stage.Event{Subject: schemas.Subject(schemas.TypeSessionExpired, sessionID.String()), Type: schemas.TypeSessionExpired,
		MsgID: schemas.MsgID(schemas.TypeSessionExpired, sessionID.String()), Time: at, Data: body, NumDelivered: 1}
}

// closedEndpoint is the URL of a loopback port nobody listens on.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
