package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
	"github.com/idv-oss/idv/producers/api"
	"github.com/idv-oss/idv/producers/tenant"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// clock is a settable clock for app-token expiry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// bundle is one test's system: its own databases and bucket, two tenants.
type bundle struct {
	t       testing.TB
	url     string
	db      *sqlx.DB
	vault   *vault.Vault
	objects *objects.Store
	clock   *clock
	http    *http.Client
	stores  api.Stores
	a, b    tenant.Created
}

func setup(t testing.TB) *bundle {
	t.Helper()
	db := pgtest.NewDB(t, schemas.MainMigrations())
	keys := pgtest.NewDB(t, schemas.KeyStoreMigrations())
	master, err := vault.ParseMasterKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	if err != nil {
		t.Fatal(err)
	}
	v := vault.New(master, keys.DB)
	store := s3test.NewStore(t)
	clk := &clock{t: time.Now()}
	stores := api.Stores{Tenants: postgres.NewTenants(db.DB), Sessions: postgres.NewSessions(db.DB),
		Results: postgres.NewResults(db.DB), Receipts: postgres.NewWipes(db.DB),
		Audit: postgres.NewAudit(db.DB), Duties: api.Duties{
			Policies: tenant.Policies{Tenants: postgres.NewTenants(db.DB), Sessions: postgres.NewSessions(db.DB), Keys: v},
			Register: testRegister(), Objections: postgres.NewSubprocessors(db.DB), DSRs: postgres.NewDSRs(db.DB)},
		Reads: postgres.NewReads(db.DB)}
	srv := api.New(stores, v, store,
		slog.New(slog.NewTextHandler(io.Discard, nil)), api.NewMetrics(prometheus.NewRegistry()), api.Config{Now: clk.Now, AppTokenTTL: time.Hour})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	b := &bundle{t: t, url: ts.URL, db: db, vault: v, objects: store, clock: clk, stores: stores,
		http: &http.Client{Transport: newContractTransport(t, ts.URL)}}
	b.a = b.newTenant("Tenant A", 7)
	b.b = b.newTenant("Tenant B", 28)
	return b
}

func (b *bundle) newTenant(name string, days int) tenant.Created {
	b.t.Helper()
	c, err := tenant.Create(context.Background(), postgres.NewTenants(b.db.DB), b.vault, tenant.Request{
		Name: name, WebhookURL: "https://hooks.example.test/idv", RetentionDays: days})
	if err != nil {
		b.t.Fatalf("create tenant: %v", err)
	}
	return c
}

// call sends a JSON request and decodes the JSON answer into out.
func (b *bundle) call(method, path, token string, body any, out any) int {
	b.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, ok := body.(string)
		if !ok {
			j, _ := json.Marshal(body)
			raw = string(j)
		}
		rd = strings.NewReader(raw)
	}
	req, _ := http.NewRequest(method, b.url+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			b.t.Fatalf("%s %s → %d: decode: %v", method, path, resp.StatusCode, err)
		}
	}
	return resp.StatusCode
}

type errBody struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Details map[string]string `json:"details"`
	} `json:"error"`
}

type created struct {
	ID        string    `json:"id"`
	AppToken  string    `json:"app_token"`
	ExpiresAt time.Time `json:"expires_at"`
	CreatedAt time.Time `json:"created_at"`
}

func (b *bundle) newSession(apiKey string) created {
	b.t.Helper()
	var c created
	if code := b.call("POST", "/v1/sessions", apiKey, nil, &c); code != http.StatusCreated {
		b.t.Fatalf("create session: %d", code)
	}
	return c
}

// openSession creates a session for the tenant of apiKey and opens it as
// its app would: the session, its app client and what GET /v1/app/session said.
func (b *bundle) openSession(apiKey string) (created, *appclient.Client, appclient.Session) {
	b.t.Helper()
	s := b.newSession(apiKey)
	app := b.app(s.AppToken)
	sess, err := app.Session(context.Background())
	if err != nil {
		b.t.Fatal(err)
	}
	return s, app, sess
}

func (b *bundle) app(token string) *appclient.Client {
	return appclient.New(b.url, token, b.http)
}

// captures is a complete set of plaintext captures with n selfie frames.
func captures(n int) []appclient.Capture {
	cs := []appclient.Capture{
		{Kind: schemas.DocumentFront, Plain: bytes.Repeat([]byte("front"), 100)},
		{Kind: schemas.MRZ, Plain: []byte("I<UTOD231458907<<<<<<<<<<<<<<<\n")},
	}
	for i := range n {
		cs = append(cs, appclient.Capture{Kind: schemas.Selfie, Index: i, Plain: bytes.Repeat([]byte{byte(i)}, 300)})
	}
	return cs
}

func (b *bundle) outboxCount(sessionID string) int {
	b.t.Helper()
	var n int
	if err := b.db.Get(&n, `SELECT count(*) FROM outbox WHERE subject = $1`,
		schemas.Subject(schemas.TypeSessionSubmitted, sessionID)); err != nil {
		b.t.Fatal(err)
	}
	return n
}

func TestSealedIntakeEndToEnd(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	s := b.newSession(b.a.APIKey)
	wantExpiry := s.CreatedAt.UTC().Add(7 * 24 * time.Hour).Truncate(time.Hour)
	if !s.ExpiresAt.Equal(wantExpiry) {
		t.Errorf("expires_at %v, want created + 7 days truncated to the hour %v", s.ExpiresAt, wantExpiry)
	}
	app := b.app(s.AppToken)
	sess, err := app.Session(ctx)
	if err != nil {
		t.Fatal(err)
	}
	caps := captures(3)
	if err := app.SealAndUpload(ctx, sess, caps, nil); err != nil {
		t.Fatal(err)
	}
	if n := b.outboxCount(s.ID); n != 0 {
		t.Fatalf("outbox has %d rows before submit", n)
	}
	sub, err := app.Submit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Status != "submitted" {
		t.Fatalf("status %q", sub.Status)
	}
	if n := b.outboxCount(s.ID); n != 1 {
		t.Fatalf("outbox has %d rows after submit, want 1", n)
	}
	var ev schemas.SessionSubmitted
	var body []byte
	if err := b.db.Get(&body, `SELECT body FROM outbox WHERE subject = $1`, schemas.Subject(schemas.TypeSessionSubmitted, s.ID)); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.SessionID != s.ID || ev.TenantID != b.a.TenantID.String() {
		t.Fatalf("outbox body %s: %v", body, err)
	}

	// Storage holds ciphertext only, and it opens with the session key.
	id := uuid.MustParse(s.ID)
	key, err := postgres.NewSessions(b.db.DB).Key(ctx, b.a.TenantID, id)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := b.vault.Unwrap(ctx, idv.WrappedKey{TenantID: b.a.TenantID, SessionID: id, Epoch: key.Epoch,
		PublicKey: key.PublicKey, Wrapped: key.Wrapped})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range caps {
		stored, err := b.objects.Get(ctx, schemas.ObjectKey(b.a.TenantID.String(), s.ID, 1, c.Kind, c.Index), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(stored, c.Plain) {
			t.Fatalf("%s stored in plaintext", schemas.CaptureRef(c.Kind, c.Index))
		}
		plain, err := seal.Open(sk, seal.CaptureInfo(id, 1, string(c.Kind), c.Index), stored)
		if err != nil || !bytes.Equal(plain, c.Plain) {
			t.Fatalf("%s does not open to what the app sealed: %v", schemas.CaptureRef(c.Kind, c.Index), err)
		}
	}

	var got struct {
		Status   string `json:"status"`
		Captures []struct {
			Kind string `json:"kind"`
		} `json:"captures"`
	}
	if code := b.call("GET", "/v1/sessions/"+s.ID, b.a.APIKey, nil, &got); code != 200 || got.Status != "submitted" || len(got.Captures) != 5 {
		t.Fatalf("GET session: %d %+v", code, got)
	}

	// A replayed submit and late uploads are refused; nothing more is written.
	var e errBody
	if code := b.call("POST", "/v1/app/session/submit", s.AppToken, nil, &e); code != 409 || e.Error.Code != "session_not_open" {
		t.Fatalf("replayed submit: %d %+v", code, e)
	}
	if n := b.outboxCount(s.ID); n != 1 {
		t.Fatalf("outbox has %d rows after a replayed submit", n)
	}
	if _, err := app.Declare(ctx, []appclient.Sealed{{Kind: schemas.Selfie, Index: 0, Bytes: make([]byte, 2000), SHA256: strings.Repeat("0", 64)}}); !isAPIError(err, 409, "session_not_open") {
		t.Fatalf("upload after submit: %v", err)
	}
}

func isAPIError(err error, status int, code string) bool {
	var e *appclient.APIError
	return errors.As(err, &e) && e.Status == status && e.Code == code
}

func TestCustomerAuthentication(t *testing.T) {
	t.Parallel()
	b := setup(t)
	good := b.a.APIKey
	keyID := strings.Split(good, "_")[2]
	other := b.newTenant("Tenant C", 3).APIKey
	forged := "idv_sk_" + keyID + "_" + strings.Split(other, "_")[3]
	for name, key := range map[string]string{
		"missing": "", "malformed": "nonsense", "unknown key id": "idv_sk_0011223344556677_" + strings.Split(good, "_")[3],
		"right id, wrong secret": forged, "app token as API key": b.newSession(good).AppToken,
	} {
		var e errBody
		if code := b.call("POST", "/v1/sessions", key, nil, &e); code != 401 || e.Error.Code != "unauthorized" {
			t.Errorf("%s: %d %+v", name, code, e)
		}
	}
}

func TestTenantsAreWalledOff(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.newSession(b.a.APIKey)
	var e errBody
	if code := b.call("GET", "/v1/sessions/"+s.ID, b.b.APIKey, nil, &e); code != 404 || e.Error.Code != "not_found" {
		t.Fatalf("tenant B reading A's session: %d %+v", code, e)
	}
	for _, path := range []string{"/v1/sessions/not-a-uuid", "/v1/sessions/" + uuid.NewString(), "/v1/sessions/..%2F..%2Fetc"} {
		if code := b.call("GET", path, b.a.APIKey, nil, &e); code != 404 {
			t.Errorf("GET %s: %d", path, code)
		}
	}
	if code := b.call("GET", "/v1/sessions/"+s.ID, b.a.APIKey, nil, nil); code != 200 {
		t.Fatalf("tenant A reading its own session: %d", code)
	}
}

func TestAppTokens(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s1 := b.newSession(b.a.APIKey)
	s2 := b.newSession(b.b.APIKey)
	parts := strings.Split(s1.AppToken, "_")
	foreign := "idv_at_" + parts[2] + "_" + strings.Split(s2.AppToken, "_")[3] // s1's id, s2's secret
	for name, tok := range map[string]string{
		"foreign secret": foreign, "API key as app token": b.a.APIKey, "garbage": "idv_at_zz_zz", "none": "",
	} {
		var e errBody
		if code := b.call("GET", "/v1/app/session", tok, nil, &e); code != 401 || e.Error.Code != "unauthorized" {
			t.Errorf("%s: %d %+v", name, code, e)
		}
	}
	var sess struct {
		SessionID string `json:"session_id"`
	}
	if code := b.call("GET", "/v1/app/session", s1.AppToken, nil, &sess); code != 200 || sess.SessionID != s1.ID {
		t.Fatalf("own token: %d %+v", code, sess)
	}
	b.clock.Advance(time.Hour + time.Second)
	var e errBody
	if code := b.call("GET", "/v1/app/session", s1.AppToken, nil, &e); code != 401 {
		t.Fatalf("expired token: %d %+v", code, e)
	}
}

func TestUploadOverTheCapIsRefusedByStorage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	s, app, sess := b.openSession(b.a.APIKey)
	mrzSlot, _ := schemas.SlotFor(sess.Slots, schemas.MRZ)
	// Declaring more than the slot's cap is refused by the API…
	big := appclient.Sealed{Kind: schemas.MRZ, Bytes: make([]byte, mrzSlot.MaxSize+1)}
	big.SHA256 = sum(big.Bytes)
	if _, err := app.Declare(ctx, []appclient.Sealed{big}); !isAPIError(err, 422, "capture_size_out_of_range") {
		t.Fatalf("declaring over the cap: %v", err)
	}
	// …and sending more than was declared is refused by storage itself.
	sealed, err := appclient.Seal(sess, []appclient.Capture{{Kind: schemas.MRZ, Plain: []byte("P<UTO")}})
	if err != nil {
		t.Fatal(err)
	}
	ups, err := app.Declare(ctx, sealed)
	if err != nil {
		t.Fatal(err)
	}
	over := append(append([]byte{}, sealed[0].Bytes...), make([]byte, mrzSlot.MaxSize)...)
	var se *appclient.StorageError
	if err := app.Post(ctx, ups[0], over, nil); !errors.As(err, &se) || se.Status < 400 || se.Status >= 500 {
		t.Fatalf("storage accepted %d bytes for a %d-byte declaration: %v", len(over), len(sealed[0].Bytes), err)
	}
	if _, err := b.objects.Stat(ctx, schemas.ObjectKey(b.a.TenantID.String(), s.ID, 1, schemas.MRZ, 0)); !errors.Is(err, idv.ErrObjectNotFound) {
		t.Fatalf("something was stored after the refusal: %v", err)
	}
}

func sum(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

func TestSubmitNamesTheCaptureAtFault(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	t.Run("missing", func(t *testing.T) {
		s, app, sess := b.openSession(b.a.APIKey)
		var caps []appclient.Capture
		for _, c := range captures(2) {
			if c.Kind != schemas.DocumentFront {
				caps = append(caps, c)
			}
		}
		if err := app.SealAndUpload(ctx, sess, caps, nil); err != nil {
			t.Fatal(err)
		}
		_, err := app.Submit(ctx)
		var e *appclient.APIError
		if !errors.As(err, &e) || e.Status != 422 || e.Code != "capture_missing" || e.Details["capture"] != "document_front/0" {
			t.Fatalf("submit without the front: %v", err)
		}
		if n := b.outboxCount(s.ID); n != 0 {
			t.Fatalf("failed submit wrote %d outbox rows", n)
		}
	})
	t.Run("declared, not uploaded", func(t *testing.T) {
		_, app, sess := b.openSession(b.a.APIKey)
		if err := app.SealAndUpload(ctx, sess, captures(1), nil); err != nil {
			t.Fatal(err)
		}
		sealed, _ := appclient.Seal(sess, []appclient.Capture{{Kind: schemas.Selfie, Index: 1, Plain: []byte("frame 2")}})
		if _, err := app.Declare(ctx, sealed); err != nil {
			t.Fatal(err)
		}
		_, err := app.Submit(ctx)
		var e *appclient.APIError
		if !errors.As(err, &e) || e.Code != "capture_missing" || e.Details["capture"] != "selfie/1" {
			t.Fatalf("submit with selfie/1 declared but not uploaded: %v", err)
		}
	})
	t.Run("wrong size", func(t *testing.T) {
		s, app, sess := b.openSession(b.a.APIKey)
		if err := app.SealAndUpload(ctx, sess, captures(1), nil); err != nil {
			t.Fatal(err)
		}
		// The app re-declares the front with another size but never uploads it.
		sealed, _ := appclient.Seal(sess, []appclient.Capture{{Kind: schemas.DocumentFront, Plain: []byte("a different front")}})
		if _, err := app.Declare(ctx, sealed); err != nil {
			t.Fatal(err)
		}
		_, err := app.Submit(ctx)
		var e *appclient.APIError
		if !errors.As(err, &e) || e.Status != 422 || e.Code != "capture_size_mismatch" || e.Details["capture"] != "document_front/0" {
			t.Fatalf("submit with a wrong size: %v", err)
		}
		if n := b.outboxCount(s.ID); n != 0 {
			t.Fatalf("failed submit wrote %d outbox rows", n)
		}
	})
}

func TestRetentionIsBounded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	_, err := tenant.Create(ctx, postgres.NewTenants(b.db.DB), b.vault, tenant.Request{
		Name: "Too long", WebhookURL: "https://hooks.example.test/", RetentionDays: 29})
	if !errors.Is(err, tenant.ErrInvalid) || !strings.Contains(err.Error(), "1..28") {
		t.Fatalf("retention 29: %v", err)
	}
	// The database refuses it too, whatever the application does.
	_, err = b.db.Exec(`UPDATE tenants SET retention_days = 29 WHERE tenant_id = $1`, b.a.TenantID)
	if err == nil || !strings.Contains(err.Error(), "retention_days_range") {
		t.Fatalf("database accepted retention 29: %v", err)
	}
	for _, days := range []int{0, 8, 29} { // tenant A keeps 7 days
		var e errBody
		if code := b.call("POST", "/v1/sessions", b.a.APIKey, map[string]int{"retention_days": days}, &e); code != 422 || e.Error.Code != "retention_out_of_range" {
			t.Errorf("retention_days %d: %d %+v", days, code, e)
		}
	}
	var c created
	if code := b.call("POST", "/v1/sessions", b.a.APIKey, map[string]int{"retention_days": 1}, &c); code != 201 {
		t.Fatalf("retention_days 1: %d", code)
	}
	if want := c.CreatedAt.UTC().Add(24 * time.Hour).Truncate(time.Hour); !c.ExpiresAt.Equal(want) {
		t.Fatalf("expires_at %v, want %v", c.ExpiresAt, want)
	}
}

func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.newSession(b.a.APIKey)
	cases := []struct {
		name, path, token, body, ctype string
		status                         int
		code                           string
	}{
		{"unknown field", "/v1/sessions", b.a.APIKey, `{"colour":"red"}`, "application/json", 400, "invalid_request"},
		{"malformed JSON", "/v1/sessions", b.a.APIKey, `{"checks":`, "application/json", 400, "invalid_request"},
		{"two values", "/v1/sessions", b.a.APIKey, `{}{}`, "application/json", 400, "invalid_request"},
		{"wrong type", "/v1/sessions", b.a.APIKey, `{"retention_days":"7"}`, "application/json", 400, "invalid_request"},
		{"wrong content type", "/v1/sessions", b.a.APIKey, `{}`, "text/plain", 415, "unsupported_media_type"},
		{"unknown check", "/v1/sessions", b.a.APIKey, `{"checks":["palmistry"]}`, "application/json", 422, "invalid_checks"},
		{"too large", "/v1/sessions", b.a.APIKey, `{"checks":["` + strings.Repeat("a", 70<<10) + `"]}`, "application/json", 413, "request_too_large"},
		{"unknown kind", "/v1/app/session/uploads", s.AppToken, `{"captures":[{"kind":"passport_stamp","index":0,"size":2000,"sha256":"` + strings.Repeat("a", 64) + `"}]}`, "application/json", 422, "unknown_capture_kind"},
		// IDV makes the redacted copy; no app may upload one.
		{"redacted copy", "/v1/app/session/uploads", s.AppToken, `{"captures":[{"kind":"redacted_copy","index":0,"size":2000,"sha256":"` + strings.Repeat("a", 64) + `"}]}`, "application/json", 422, "unknown_capture_kind"},
		{"index out of range", "/v1/app/session/uploads", s.AppToken, `{"captures":[{"kind":"selfie","index":5,"size":2000,"sha256":"` + strings.Repeat("a", 64) + `"}]}`, "application/json", 422, "capture_index_out_of_range"},
		{"bad sha256", "/v1/app/session/uploads", s.AppToken, `{"captures":[{"kind":"selfie","index":0,"size":2000,"sha256":"xyz"}]}`, "application/json", 422, "invalid_sha256"},
		{"smaller than sealing", "/v1/app/session/uploads", s.AppToken, `{"captures":[{"kind":"selfie","index":0,"size":100,"sha256":"` + strings.Repeat("a", 64) + `"}]}`, "application/json", 422, "capture_size_out_of_range"},
		{"declared twice", "/v1/app/session/uploads", s.AppToken, `{"captures":[{"kind":"mrz","index":0,"size":2000,"sha256":"` + strings.Repeat("a", 64) + `"},{"kind":"mrz","index":0,"size":2000,"sha256":"` + strings.Repeat("a", 64) + `"}]}`, "application/json", 422, "capture_declared_twice"},
		{"no captures", "/v1/app/session/uploads", s.AppToken, `{"captures":[]}`, "application/json", 400, "invalid_request"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest("POST", b.url+c.path, strings.NewReader(c.body))
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Content-Type", c.ctype)
		resp, err := b.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e errBody
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != c.status || e.Error.Code != c.code {
			t.Errorf("%s: %d %q, want %d %q", c.name, resp.StatusCode, e.Error.Code, c.status, c.code)
		}
	}
}
