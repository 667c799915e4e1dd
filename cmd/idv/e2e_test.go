package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/loadgen"
	"github.com/idv-oss/idv/infra/natsserver"
	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/ops"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgcount"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
	"github.com/idv-oss/idv/infra/webhooksink"
	"github.com/idv-oss/idv/producers/retention"
	"github.com/idv-oss/idv/producers/tenant"
	"github.com/idv-oss/idv/schemas"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// system is the whole pipeline in this process, as `idv dev` wires it, on
// its own databases, bucket and JetStream store, with a customer's webhook
// receiver that checks signatures and can be taken down.
type system struct {
	t      testing.TB
	apiURL string
	st     *stack
	// owner is the main database as its owner, a superuser here, for the
	// tests' own look at rows: row-level security holds st.db to tenants.
	owner     *sqlx.DB
	tenant    tenant.Created
	rcv       *webhooksink.Sink
	down      atomic.Bool
	attempts  atomic.Int64
	logs      *syncBuffer
	reg       *prometheus.Registry
	retention *retention.Metrics
	checks    map[string]ops.Check
	cfg       config              // what the system runs with; subprocesses get it as IDV_… variables
	natsDir   string              // the JetStream store (of every node)
	js        jetstream.JetStream // to publish as a stranger would
	nats      []*natsserver.Server
	replicas  []*replica // replicas[0] also serves the API
	// mainURL and keysURL are the databases, for driving the idv command.
	mainURL, keysURL string
}

// replica is one worker process of the system: the relay and stages on a
// NATS connection and a metrics registry of their own.
type replica struct {
	b      *brokerConn
	cancel context.CancelFunc
	done   chan error
	killed bool
}

// kill stops the replica as a crash would, as far as the broker sees it:
// its connection goes at once, so what it holds unacknowledged comes back
// after AckWait; handlers already running finish their database work.
func (r *replica) kill() {
	r.killed = true
	r.b.Close()
	r.cancel()
	<-r.done
}

// systemOptions vary a system: the tenant's policy fields, and the object
// store (e.g. behind a proxy that can be taken down).
type systemOptions struct {
	fields  []string
	checks  []string
	objects func(bucket *objects.Store) *objects.Store
	// natsNodes > 1 runs a JetStream cluster of that many embedded
	// servers, with stream IDV replicated on up to three.
	natsNodes int
	// replicas > 1 runs more worker processes (relay, doccheck, decision,
	// notify, wipe), each with its own NATS connection.
	replicas int
	// ackWait, when set, replaces the consumers' AckWait, so that what a
	// killed replica or a lost node leaves unacknowledged returns soon.
	ackWait time.Duration
	// register is the processor configuration (sub-processors) the API serves.
	register schemas.Register
	// noImageChecks turns the document check's image checks off, as
	// idv loadgen -mode tiny does (they are on by default).
	noImageChecks bool
	// passiveLiveness runs the advisory passive-liveness model in the
	// liveness stage (IDV_LIVENESS_PASSIVE; off by default).
	passiveLiveness bool
	// maxAttempts, when set, is the tenant's policy max_attempts (the
	// default allows two retakes).
	maxAttempts int
	// external runs only the API in this process: the stages and the relay
	// are left to `idv worker` and `idv relay` subprocesses the test starts
	// (see procs).
	external bool
	// count, when set, counts the transactions, statements and round trips
	// of the system's pools (the main database as "main", the key store as
	// "keys"); the tests' own connections are not counted.
	count *pgcount.Counter
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// testMasterKey is the systems' master key (32 bytes 0…31, base64).
const testMasterKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

func startSystem(t *testing.T) *system { return startSystemWith(t, systemOptions{}) }

// startSystemWith is startSystem varied by opts.
func startSystemWith(t testing.TB, opts systemOptions) *system {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	mainURL, keysURL := pgtest.NewURL(t), pgtest.NewURL(t)
	if _, _, err := migrateAll(ctx, config{DatabaseURL: mainURL, KeyStoreURL: keysURL}); err != nil {
		t.Fatal(err)
	}
	// The system runs as the services do: as the application role, under
	// row-level security.
	var mainOpts, keysOpts []postgres.Option
	if opts.count != nil {
		mainOpts = append(mainOpts, postgres.WithTap(opts.count.Tap("main")))
		keysOpts = append(keysOpts, postgres.WithTap(opts.count.Tap("keys")))
	}
	db, err := postgres.OpenApp(ctx, mainURL, mainOpts...)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := postgres.Open(ctx, mainURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { owner.Close() })
	keys, err := postgres.Open(ctx, keysURL, keysOpts...)
	if err != nil {
		t.Fatal(err)
	}
	master, _ := vault.ParseMasterKey(testMasterKey)
	st := &stack{db: db, keys: keys, vault: vault.New(master, keys), objects: s3test.NewStore(t)}
	if opts.objects != nil {
		st.objects = opts.objects(st.objects)
	}
	natsDir := t.TempDir()
	servers, err := startNATS(natsDir, opts.natsNodes)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{DatabaseURL: mainURL, NATSURL: natsserver.ClientURLs(servers), StreamReplicas: min(len(servers), 3), StreamMaxAge: 24 * time.Hour,
		WebhookAllowPrivate: true, WebhookRetryBase: time.Second, AppTokenTTL: time.Hour, UploadTTL: 15 * time.Minute,
		FaceDir: os.Getenv("IDV_FACE_DIR"), Register: opts.register, DocImageChecks: !opts.noImageChecks,
		LivenessPassive: opts.passiveLiveness}
	b, err := openBroker(ctx, cfg, "idv-e2e")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.declare(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if opts.ackWait > 0 {
		for _, w := range pipeline {
			spec := w.spec
			spec.AckWait = opts.ackWait
			if err := broker.DeclareConsumers(ctx, b.js, spec); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := &system{t: t, st: st, owner: sqlx.NewDb(owner, "postgres"), logs: &syncBuffer{}, natsDir: natsDir, js: b.js, nats: servers,
		mainURL: mainURL, keysURL: keysURL}
	log := slog.New(slog.NewTextHandler(s.logs, nil))

	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.attempts.Add(1)
		if s.down.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		s.rcv.ServeHTTP(w, r)
	}))
	s.tenant, err = tenant.Create(ctx, postgres.NewTenants(db), st.vault, tenant.Request{Name: "E2E", WebhookURL: hooks.URL,
		RetentionDays: 1, AllowSpecimen: true, Fields: opts.fields, Checks: opts.checks})
	if err != nil {
		t.Fatal(err)
	}
	if opts.maxAttempts > 0 {
		if _, err := owner.ExecContext(ctx, `UPDATE tenants SET policy = jsonb_set(policy, '{max_attempts}', to_jsonb($2::int))
			WHERE tenant_id = $1`, s.tenant.TenantID, opts.maxAttempts); err != nil {
			t.Fatal(err)
		}
	}
	secret, err := idv.ParseSecret(s.tenant.WebhookSecret)
	if err != nil {
		t.Fatal(err)
	}
	s.rcv = webhooksink.New(secret, io.Discard)

	apiLn, err := listen("api", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.apiURL = "http://" + apiLn.Addr().String()
	cfg.PublicURL = s.apiURL
	reg := newRegistry()
	s.reg = reg
	// The retention rounds the tests run report here, as `idv retention` would.
	s.retention = retention.NewMetrics(reg)
	s.cfg = cfg
	s.checks = st.checks()
	s.checks["nats"] = b.check
	for i := range max(opts.replicas, 1) {
		names, rb, rreg := pipeline, b, reg
		if i > 0 {
			// The face stages are left to the first replica: their models are large.
			names = slices.DeleteFunc(slices.Clone(pipeline), func(w stageWiring) bool { return w.spec.Name == "facematch" || w.spec.Name == "liveness" })
			if rb, err = openBroker(ctx, cfg, "idv-e2e-replica"); err != nil {
				t.Fatal(err)
			}
			rreg = newRegistry()
		}
		var parts []part
		if !opts.external {
			if parts, err = stageParts(ctx, names, false, st, rb, cfg, log, rreg); err != nil {
				t.Fatal(err)
			}
			parts = append(parts, relayPart(st, rb, cfg, log, rreg))
		}
		if i == 0 {
			parts = append(parts, apiPart(apiLn, st, cfg, log, reg))
		}
		rctx, rcancel := context.WithCancel(ctx)
		r := &replica{b: rb, cancel: rcancel, done: make(chan error, 1)}
		go func() { r.done <- runParts(rctx, log, parts...) }()
		s.replicas = append(s.replicas, r)
	}
	t.Cleanup(func() {
		cancel()
		for _, r := range s.replicas {
			if r.killed {
				continue
			}
			if err := <-r.done; err != nil {
				t.Errorf("pipeline stopped with: %v", err)
			}
			r.b.Close()
		}
		for _, ns := range servers {
			ns.Shutdown()
		}
		hooks.Close()
		db.Close()
		keys.Close()
	})
	return s
}

// startNATS starts one embedded server, or a cluster of n.
func startNATS(dir string, n int) ([]*natsserver.Server, error) {
	if n > 1 {
		return natsserver.StartCluster(dir, n)
	}
	ns, err := natsserver.Start(natsserver.NewOptions(dir))
	if err != nil {
		return nil, err
	}
	return []*natsserver.Server{ns}, nil
}

// verification is one session's run through the system.
type verification struct {
	id       string
	token    string
	app      *appclient.Client
	session  appclient.Session
	captures []appclient.Capture
}

func (s *system) newVerification() *verification {
	s.t.Helper()
	v, err := s.startVerification(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return v
}

// startVerification creates a session as the customer and reads it as the
// app; it is newVerification for goroutines other than the test's.
func (s *system) startVerification(ctx context.Context) (*verification, error) {
	var created struct {
		ID       string `json:"id"`
		AppToken string `json:"app_token"`
	}
	if err := customerCall(ctx, http.MethodPost, s.apiURL+"/v1/sessions", s.tenant.APIKey, &created); err != nil {
		return nil, err
	}
	v := &verification{id: created.ID, token: created.AppToken, app: appclient.New(s.apiURL, created.AppToken, nil)}
	var err error
	if v.session, err = v.app.Session(ctx); err != nil {
		return nil, err
	}
	if v.captures, err = loadgen.SpecimenCaptures(2); err != nil {
		return nil, err
	}
	return v, nil
}

func (v *verification) replace(kind schemas.CaptureKind, plain []byte) {
	for i := range v.captures {
		if v.captures[i].Kind == kind {
			v.captures[i].Plain = plain
		}
	}
}

// drop leaves out the captures of kind, as an app that never took one.
func (v *verification) drop(kind schemas.CaptureKind) {
	v.captures = slices.DeleteFunc(v.captures, func(c appclient.Capture) bool { return c.Kind == kind })
}

// submit uploads and submits, running tamper between upload and submit.
func (s *system) submit(v *verification, tamper func()) <-chan schemas.WebhookPayload {
	s.t.Helper()
	ctx := context.Background()
	hook := s.rcv.Await(v.id, schemas.WebhookSessionDecided)
	if err := v.app.SealAndUpload(ctx, v.session, v.captures, nil); err != nil {
		s.t.Fatal(err)
	}
	if tamper != nil {
		tamper()
	}
	if _, err := v.app.Submit(ctx); err != nil {
		s.t.Fatal(err)
	}
	return hook
}

type sessionResult struct {
	Status   string         `json:"status"`
	Decision string         `json:"decision"`
	Fields   map[string]any `json:"fields"`
	Results  []struct {
		Check   string   `json:"check"`
		Outcome string   `json:"outcome"`
		Reasons []string `json:"reasons"`
	} `json:"results"`
}

// await waits for the verified webhook and reads the result as the
// customer would, following the webhook's href.
func (s *system) await(v *verification, hook <-chan schemas.WebhookPayload) sessionResult {
	s.t.Helper()
	var p schemas.WebhookPayload
	select {
	case p = <-hook:
	case <-time.After(time.Minute):
		s.t.Fatalf("no verified webhook for session %s within a minute", v.id)
	}
	if p.Type != schemas.WebhookSessionDecided || p.Data.SessionID != v.id || p.Data.Href != s.apiURL+"/v1/sessions/"+v.id {
		s.t.Fatalf("webhook payload %+v", p)
	}
	var r sessionResult
	if err := customerCall(context.Background(), http.MethodGet, p.Data.Href, s.tenant.APIKey, &r); err != nil {
		s.t.Fatal(err)
	}
	if r.Status != "decided" || r.Decision != p.Data.Decision || len(r.Results) == 0 || r.Results[0].Check != "document" {
		s.t.Fatalf("session %s after its webhook: %+v (webhook said %s)", v.id, r, p.Data.Decision)
	}
	return r
}

func (s *system) deliveries(sessionID, outcome string) int {
	var n int
	if err := s.owner.Get(&n, `SELECT count(*) FROM webhook_deliveries WHERE session_id = $1 AND outcome = $2`,
		sessionID, outcome); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// wrappedKey copies a session's wrapped key, as a backup would.
func (s *system) wrappedKey(sessionID string) idv.WrappedKey {
	s.t.Helper()
	k, err := postgres.NewSessions(s.st.db).Key(context.Background(), s.tenant.TenantID, uuid.MustParse(sessionID))
	if err != nil {
		s.t.Fatal(err)
	}
	return k
}

// retakeRequested waits, as the app does, until the checks of the attempt
// submitted are done, and requires that they asked for a retake.
func (s *system) retakeRequested(v *verification) appclient.Session {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sess, err := v.app.Checked(ctx, 50*time.Millisecond)
	if err != nil {
		s.t.Fatal(err)
	}
	if sess.Status != string(idv.StatusRetakeRequested) {
		s.t.Fatalf("session %s is %s, want retake_requested", v.id, sess.Status)
	}
	return sess
}

// awaitType waits for a webhook the receiver was told to await.
func (s *system) awaitType(v *verification, hook <-chan schemas.WebhookPayload) schemas.WebhookPayload {
	s.t.Helper()
	select {
	case p := <-hook:
		return p
	case <-time.After(time.Minute):
		s.t.Fatalf("no verified webhook for session %s within a minute", v.id)
	}
	return schemas.WebhookPayload{}
}

// checkWiped follows a session.deleted webhook: the receipt verifies with
// the published key, the session is a tombstone, its key row, captures and
// objects are gone.
func (s *system) checkWiped(v *verification, p schemas.WebhookPayload, reason string) {
	s.t.Helper()
	ctx := context.Background()
	var key struct {
		KeyID     string `json:"key_id"`
		PublicKey []byte `json:"public_key"`
	}
	if err := customerCall(ctx, http.MethodGet, s.apiURL+"/v1/receipt-signing-key", s.tenant.APIKey, &key); err != nil {
		s.t.Fatal(err)
	}
	var rc struct {
		KeyID     string `json:"key_id"`
		Statement []byte `json:"statement"`
		Signature []byte `json:"signature"`
	}
	if err := customerCall(ctx, http.MethodGet, p.Data.Href, s.tenant.APIKey, &rc); err != nil {
		s.t.Fatalf("receipt at %s: %v", p.Data.Href, err)
	}
	receipt, err := idv.ParseReceipt(rc.Statement)
	if err != nil || rc.KeyID != key.KeyID || !idv.VerifyReceipt(key.PublicKey, rc.Statement, rc.Signature) ||
		receipt.SessionID != v.id || receipt.Reason != reason {
		s.t.Fatalf("receipt %+v does not verify or does not match (%v)", receipt, err)
	}
	var sess struct {
		Status    string     `json:"status"`
		DeletedAt *time.Time `json:"deleted_at"`
		Captures  []any      `json:"captures"`
	}
	if err := customerCall(ctx, http.MethodGet, s.apiURL+"/v1/sessions/"+v.id, s.tenant.APIKey, &sess); err != nil {
		s.t.Fatal(err)
	}
	if sess.Status != "deleted" || sess.DeletedAt == nil || len(sess.Captures) != 0 {
		s.t.Fatalf("session after the wipe: %+v", sess)
	}
	var keys int
	s.owner.Get(&keys, `SELECT count(*) FROM session_keys WHERE session_id = $1`, v.id)
	if keys != 0 {
		s.t.Fatalf("session key row still there")
	}
	for _, c := range v.captures {
		key := schemas.ObjectKey(s.tenant.TenantID.String(), v.id, 1, c.Kind, c.Index)
		if _, err := s.st.objects.Stat(ctx, key); !errors.Is(err, objects.ErrNotFound) {
			s.t.Fatalf("%s still in storage: %v", key, err)
		}
	}
}

// waitDeliveries waits until at least n deliveries of outcome are recorded
// for the session (the receiver answers before the notifier records).
func (s *system) waitDeliveries(sessionID, outcome string, n int) {
	s.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for s.deliveries(sessionID, outcome) < n {
		if time.Now().After(deadline) {
			s.t.Fatalf("fewer than %d %s deliveries recorded for %s after a minute", n, outcome, sessionID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPipelineEndToEnd(t *testing.T) {
	s := startSystem(t)

	t.Run("specimen approved", func(t *testing.T) {
		v := s.newVerification()
		r := s.await(v, s.submit(v, nil))
		if r.Decision != schemas.DecisionApproved || r.Results[0].Outcome != schemas.OutcomePassed {
			t.Fatalf("%+v", r)
		}
		// The default policy allows derived claims only.
		if len(r.Fields) != 2 || r.Fields["age_over_18"] != true || r.Fields["document_valid"] != true {
			t.Fatalf("fields %v, want exactly age_over_18 and document_valid, both true", r.Fields)
		}
		s.waitDeliveries(v.id, "delivered", 1)
		if n := s.deliveries(v.id, "delivered"); n != 1 {
			t.Fatalf("%d deliveries recorded", n)
		}
	})

	// Nobody types: the app sends the photo and no MRZ text, and the
	// document check reads the MRZ from the photo.
	t.Run("no MRZ text: read from the photo, approved", func(t *testing.T) {
		v := s.newVerification()
		v.drop(schemas.MRZ)
		r := s.await(v, s.submit(v, nil))
		if r.Decision != schemas.DecisionApproved || len(r.Results[0].Reasons) != 0 {
			t.Fatalf("%+v", r)
		}
		if r.Fields["document_valid"] != true {
			t.Fatalf("fields %v, want document_valid true from the MRZ read", r.Fields)
		}
	})

	t.Run("corrupted MRZ declined", func(t *testing.T) {
		v := s.newVerification()
		text := []byte(mrz.SpecimenTD1(time.Now()))
		text[14] = '0' + (text[14]-'0'+1)%10 // the document number's check digit
		v.replace(schemas.MRZ, text)
		r := s.await(v, s.submit(v, nil))
		if r.Decision != schemas.DecisionDeclined || !slices.Contains(r.Results[0].Reasons, "mrz_check_digit") {
			t.Fatalf("%+v", r)
		}
	})

	// A photo the person can fix is a retake within the session, not a
	// dead end: the second attempt, sent with idv capture, is checked
	// afresh and the customer hears once, with the attempt count.
	t.Run("non-image front: retake, then approved", func(t *testing.T) {
		v := s.newVerification()
		good := slices.Clone(v.captures)
		v.replace(schemas.DocumentFront, []byte("%PDF-1.7\nthis is not a photo of a document\n"))
		hook := s.submit(v, nil)
		sess := s.retakeRequested(v)
		want := []schemas.Retake{{Capture: schemas.RetakeDocument, Reasons: []string{"not_an_image"}}}
		if sess.Attempt != 2 || sess.MaxAttempts != schemas.DefaultMaxAttempts || !reflect.DeepEqual(sess.Retake, want) {
			t.Fatalf("after attempt 1: %+v", sess)
		}
		var out, errOut bytes.Buffer
		if err := capture(context.Background(), v.app, good, &out, &errOut); err != nil {
			t.Fatalf("idv capture of attempt 2: %v\n%s", err, errOut.String())
		}
		p := s.awaitType(v, hook)
		if p.Data.Decision != schemas.DecisionApproved || p.Data.Attempts != 2 {
			t.Fatalf("webhook %+v, want approved after 2 attempts", p.Data)
		}
		var r struct {
			sessionResult
			Attempt  int `json:"attempt"`
			Captures []struct {
				Attempt int `json:"attempt"`
			} `json:"captures"`
		}
		if err := customerCall(context.Background(), http.MethodGet, p.Data.Href, s.tenant.APIKey, &r); err != nil {
			t.Fatal(err)
		}
		if r.Attempt != 2 || r.Decision != schemas.DecisionApproved || len(r.Results) != 1 || len(r.Results[0].Reasons) != 0 {
			t.Fatalf("session after its webhook: %+v", r)
		}
		s.waitDeliveries(v.id, "delivered", 1)
		var decided int
		if err := s.owner.Get(&decided, `SELECT count(*) FROM outbox WHERE subject = $1`,
			schemas.Subject(schemas.TypeSessionDecided, v.id)); err != nil || decided != 1 {
			t.Fatalf("%d decided events (%v), want 1", decided, err)
		}
	})

	// An attempt-1 capture sent again for attempt 2 does not open there:
	// the attempt is sealed into each capture.
	t.Run("attempt 1's capture replayed into attempt 2: capture_tampered", func(t *testing.T) {
		v := s.newVerification()
		good := slices.Clone(v.captures)
		v.replace(schemas.DocumentFront, []byte("%PDF-1.7\nnot a photo\n"))
		hook := s.submit(v, nil)
		if sess := s.retakeRequested(v); sess.Attempt != 2 {
			t.Fatalf("after attempt 1: %+v", sess)
		}
		stale := v.session // attempt 1's: the app seals as before the retake
		if err := v.app.SealAndUpload(context.Background(), stale, good, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := v.app.Submit(context.Background()); err != nil {
			t.Fatal(err)
		}
		p := s.awaitType(v, hook)
		var r sessionResult
		if err := customerCall(context.Background(), http.MethodGet, p.Data.Href, s.tenant.APIKey, &r); err != nil {
			t.Fatal(err)
		}
		if r.Decision != schemas.DecisionDeclined || !slices.Contains(r.Results[0].Reasons, "capture_tampered") {
			t.Fatalf("%+v", r)
		}
	})

	t.Run("same-size altered capture: capture_tampered", func(t *testing.T) {
		v := s.newVerification()
		key := schemas.ObjectKey(s.tenant.TenantID.String(), v.id, 1, schemas.DocumentFront, 0)
		r := s.await(v, s.submit(v, func() {
			info, err := s.st.objects.Stat(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			forged := make([]byte, info.Size)
			rand.Read(forged)
			if err := s.st.objects.Put(context.Background(), key, forged); err != nil {
				t.Fatal(err)
			}
		}))
		if r.Decision != schemas.DecisionDeclined || !slices.Contains(r.Results[0].Reasons, "capture_tampered") {
			t.Fatalf("%+v", r)
		}
	})

	t.Run("receiver down, then back", func(t *testing.T) {
		s.down.Store(true)
		v := s.newVerification()
		hook := s.submit(v, nil)
		s.waitDeliveries(v.id, "failed", 2)
		s.down.Store(false)
		r := s.await(v, hook)
		if r.Decision != schemas.DecisionApproved {
			t.Fatalf("%+v", r)
		}
		s.waitDeliveries(v.id, "delivered", 1)
		if n := s.deliveries(v.id, "delivered"); n != 1 {
			t.Fatalf("%d successful deliveries recorded, want exactly 1", n)
		}
		var ids int
		s.owner.Get(&ids, `SELECT count(DISTINCT webhook_id) FROM webhook_deliveries WHERE session_id = $1`, v.id)
		if ids != 1 {
			t.Fatalf("retries used %d webhook ids, want one stable id", ids)
		}
	})

	t.Run("customer erasure: key, objects and rows gone, signed receipt", func(t *testing.T) {
		v := s.newVerification()
		s.await(v, s.submit(v, nil))
		wk := s.wrappedKey(v.id)
		deleted := s.rcv.Await(v.id, schemas.WebhookSessionDeleted)
		req, _ := http.NewRequest(http.MethodDelete, s.apiURL+"/v1/sessions/"+v.id, nil)
		req.Header.Set("Authorization", "Bearer "+s.tenant.APIKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusAccepted {
			t.Fatalf("DELETE: %v %v", resp, err)
		}
		resp.Body.Close()
		s.checkWiped(v, s.awaitType(v, deleted), schemas.WipeCustomerRequest)
		// A copy of the wrapped key taken before the wipe still opens until its
		// hour's epoch key is destroyed; the retention sweep does that.
		if _, err := s.st.vault.Unwrap(context.Background(), wk); err != nil {
			t.Fatalf("before the epoch sweep: %v", err)
		}
	})

	t.Run("person declines: declined_by_user, then wiped", func(t *testing.T) {
		v := s.newVerification()
		decided := s.rcv.Await(v.id, schemas.WebhookSessionDecided)
		deleted := s.rcv.Await(v.id, schemas.WebhookSessionDeleted)
		if err := v.app.SealAndUpload(context.Background(), v.session, v.captures, nil); err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPost, s.apiURL+"/v1/app/session/decline", nil)
		req.Header.Set("Authorization", "Bearer "+v.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("decline: %v %v", resp, err)
		}
		resp.Body.Close()
		if p := s.awaitType(v, decided); p.Data.Decision != schemas.DecisionDeclinedByUser {
			t.Fatalf("decided webhook: %+v", p)
		}
		s.checkWiped(v, s.awaitType(v, deleted), schemas.WipeDeclinedByUser)
	})

	t.Run("expiry: retention claims, wipe runs, epoch key destroyed", func(t *testing.T) {
		v := s.newVerification()
		s.await(v, s.submit(v, nil))
		wk := s.wrappedKey(v.id)
		deleted := s.rcv.Await(v.id, schemas.WebhookSessionDeleted)
		later := time.Now().Add(49 * time.Hour) // past the tenant's one-day retention
		sweeper := retention.New(retention.Deps{Store: postgres.NewRetention(s.st.db), Keys: s.st.vault,
			Now: func() time.Time { return later }, Metrics: s.retention}, retention.Config{})
		round, err := sweeper.RunOnce(context.Background())
		if err != nil || round.Claimed == 0 {
			t.Fatalf("retention round: %+v %v", round, err)
		}
		s.checkWiped(v, s.awaitType(v, deleted), schemas.WipeExpired)
		// Once every session of the hour is wiped, a round destroys the
		// hour's key: the copy taken before the wipe opens nothing, and no
		// session is overdue.
		deadline := time.Now().Add(time.Minute)
		for {
			round, err = sweeper.RunOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			_, err := s.st.vault.Unwrap(context.Background(), wk)
			if errors.Is(err, idv.ErrEpochDestroyed) && round.Overdue == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a minute after expiry: unwrap %v, last round %+v", err, round)
			}
			time.Sleep(50 * time.Millisecond) // other sessions of the hour are still being wiped
		}
	})

	// The retention round, wired as `idv retention` wires it, signs the
	// head of the tenant's audit chain (it has entries by now: reads,
	// erasures, deletions); the tenant's receiver gets it as a verified
	// audit.checkpoint webhook, whose checkpoint verifies with the listed
	// audit key and, saved as a file, is what `idv audit verify
	// --checkpoint` checks the chain against.
	t.Run("audit checkpoint: a retention round sends the signed chain head", func(t *testing.T) {
		ctx := context.Background()
		hook := s.rcv.Await("", schemas.WebhookAuditCheckpoint)
		sweeper := retention.New(retentionDeps(s.st, slog.New(slog.DiscardHandler), s.retention), retention.Config{})
		round, err := sweeper.RunOnce(ctx)
		if err != nil || round.Checkpoints != 1 {
			t.Fatalf("retention round: %+v %v, want one checkpoint", round, err)
		}
		var p schemas.WebhookPayload
		select {
		case p = <-hook:
		case <-time.After(time.Minute):
			t.Fatal("no verified audit.checkpoint webhook within a minute of the round")
		}
		if p.Data.TenantID != s.tenant.TenantID.String() || p.Data.SessionID != "" || p.Data.Href != s.apiURL+"/v1/audit-events" ||
			p.Data.Checkpoint == nil {
			t.Fatalf("webhook %+v", p)
		}
		keys, err := s.st.vault.VerifyKeys(ctx, vault.PurposeAudit)
		if err != nil {
			t.Fatal(err)
		}
		c, err := idv.OpenCheckpoint(keys, idv.SignedCheckpoint(*p.Data.Checkpoint))
		if err != nil || c.TenantID != s.tenant.TenantID.String() || c.Purpose != schemas.CheckpointPeriodic || c.Seq == 0 {
			t.Fatalf("the webhook's checkpoint: %+v, %v", c, err)
		}
		file := filepath.Join(t.TempDir(), "checkpoint.json")
		saved, err := json.Marshal(p.Data.Checkpoint)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, saved, 0o600); err != nil {
			t.Fatal(err)
		}
		out, errOut, err := runIDV(map[string]string{"DATABASE_URL": s.mainURL, "IDV_KEYSTORE_URL": s.keysURL, "IDV_MASTER_KEY": testMasterKey},
			"audit", "verify", "--tenant", s.tenant.TenantID.String(), "--checkpoint", file)
		if err != nil || !strings.Contains(out, fmt.Sprintf("the chain holds entry %d with the hash the checkpoint signed", c.Seq)) {
			t.Fatalf("idv audit verify --checkpoint: %v\n%s%s", err, out, errOut)
		}
		// Within the interval, the next round signs nothing.
		if round, err := sweeper.RunOnce(ctx); err != nil || round.Checkpoints != 0 {
			t.Fatalf("the next round: %+v %v", round, err)
		}
	})

	t.Run("metrics and readiness", func(t *testing.T) {
		families, err := s.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		checkCatalogue(t, families)
		sum := map[string]float64{}
		for _, f := range families {
			for _, m := range f.GetMetric() {
				sum[f.GetName()] += m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())
			}
		}
		for name, atLeast := range map[string]float64{
			"idv_stage_messages_total": 15, "idv_stage_duration_seconds": 15, "idv_outbox_published_total": 15,
			"idv_webhook_deliveries_total": 7, "idv_api_requests_total": 20,
		} {
			if sum[name] < atLeast {
				t.Errorf("%s = %v, want at least %v", name, sum[name], atLeast)
			}
		}
		for name, check := range s.checks {
			if err := check(context.Background()); err != nil {
				t.Errorf("readiness check %s: %v", name, err)
			}
		}
	})

	t.Run("no personal data in logs, events or results", func(t *testing.T) {
		logs := s.logs.String()
		var bodies []string
		s.owner.Select(&bodies, `SELECT body::text FROM outbox`)
		var reasons []string
		s.owner.Select(&reasons, `SELECT array_to_string(reasons, ',') || engine FROM check_results`)
		all := logs + strings.Join(bodies, "\n") + strings.Join(reasons, "\n")
		for _, pd := range []string{"BRUIJN", "WILLEKE", "SPECI2014", "650310", "I<NLD"} {
			if strings.Contains(all, pd) {
				t.Errorf("personal data %q found in logs, events or results", pd)
			}
		}
		if !strings.Contains(logs, "webhook delivered") {
			t.Fatalf("the logs were not captured:\n%s", logs)
		}
	})
}
