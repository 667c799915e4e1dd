package notify_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/notify"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/natsserver"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/producers/tenant"
	"github.com/idv-oss/idv/schemas"
)

const apiBase = "https://idv.example"

// bundle is one test's world: its own main and key store databases, a real
// vault, and the notifier's stores and metrics.
type bundle struct {
	db      *sqlx.DB
	vault   *vault.Vault
	tenants *postgres.Tenants
	store   *postgres.Deliveries
	notices *postgres.Notices
	reads   *postgres.Reads
	reg     *prometheus.Registry
}

func setup(t *testing.T) *bundle {
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
	return &bundle{db: db, vault: vault.New(master, keys.DB), tenants: postgres.NewTenants(db.DB),
		store: postgres.NewDeliveries(db.DB), notices: postgres.NewNotices(db.DB), reads: postgres.NewReads(db.DB), reg: prometheus.NewRegistry()}
}

// tenant onboards a tenant whose endpoint is url and returns its id and the
// webhook secret's key bytes, as the tenant's backend would hold them.
func (b *bundle) tenant(t *testing.T, url string) (uuid.UUID, []byte) {
	t.Helper()
	c, err := tenant.Create(context.Background(), b.tenants, b.vault,
		tenant.Request{Name: "Acme", WebhookURL: url, RetentionDays: 7})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := idv.ParseSecret(c.WebhookSecret)
	if err != nil {
		t.Fatal(err)
	}
	return c.TenantID, secret
}

func (b *bundle) notifier(cfg notify.Config) *notify.Stage {
	cfg.APIBaseURL = apiBase
	return notify.New(notify.Deps{Deliveries: b.store, Records: b.notices, Secrets: b.vault, Metrics: notify.NewMetrics(b.reg),
		Resolver: testNames, Reads: b.reads}, cfg)
}

// names is the tests' own resolver: the names below and, for any other, the
// answer for a name that does not exist, so that no test looks a name up
// outside the machine.
type names map[string][]netip.Addr

func (m names) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	addrs, ok := m[strings.TrimSuffix(strings.ToLower(host), ".")]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []netip.Addr
	for _, a := range addrs {
		if network == "ip" || (network == "ip4") == a.Unmap().Is4() {
			out = append(out, a)
		}
	}
	return out, nil
}

var testNames = names{
	"localhost":             {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")},
	"hooks.loopback.test":   {netip.MustParseAddr("127.0.0.1")},
	"hooks.private.test":    {netip.MustParseAddr("10.20.30.40")},
	"hooks.metadata.test":   {netip.MustParseAddr("169.254.169.254")},
	"hooks.mapped.test":     {netip.MustParseAddr("::ffff:127.0.0.1")},
	"hooks.v6loopback.test": {netip.MustParseAddr("::1")},
	"hooks.cgnat.test":      {netip.MustParseAddr("100.64.0.1")},
	"hooks.linklocal.test":  {netip.MustParseAddr("fe80::1")},
	"hooks.inward.test":     {netip.MustParseAddr("192.168.1.1"), netip.MustParseAddr("127.0.0.1")},
	"hooks.fallback.test":   {netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.1")}, // nothing listens on .2
}

// setURL stores url as the tenant's webhook URL as it is, as a URL
// registered under an older rule would be: no check.
func (b *bundle) setURL(t *testing.T, tenantID uuid.UUID, url string) {
	t.Helper()
	if _, err := b.db.Exec(`UPDATE tenants SET webhook_url = $2 WHERE tenant_id = $1`, tenantID, url); err != nil {
		t.Fatal(err)
	}
}

type row struct {
	TenantID  uuid.UUID      `db:"tenant_id"`
	SessionID uuid.UUID      `db:"session_id"`
	EventType string         `db:"event_type"`
	Attempt   int            `db:"attempt"`
	Status    sql.NullInt32  `db:"status_code"`
	Outcome   string         `db:"outcome"`
	ErrorCode sql.NullString `db:"error_code"`
}

func (b *bundle) rows(t *testing.T, webhookID string) []row {
	t.Helper()
	var rs []row
	if err := b.db.Select(&rs, `SELECT tenant_id, session_id, event_type, attempt, status_code, outcome, error_code
		FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY delivery_id`, webhookID); err != nil {
		t.Fatal(err)
	}
	return rs
}

// counts returns idv_webhook_deliveries_total by outcome, and fails if any
// of the notifier's metrics carries a label other than outcome (reason, for
// idv_webhook_events_refused_total and idv_webhook_deliveries_refused_total).
func (b *bundle) counts(t *testing.T) map[string]float64 {
	t.Helper()
	return b.family(t, "idv_webhook_deliveries_total")
}

// refusals returns idv_webhook_events_refused_total by reason.
func (b *bundle) refusals(t *testing.T) map[string]float64 {
	t.Helper()
	return b.family(t, "idv_webhook_events_refused_total")
}

// refusedDeliveries returns idv_webhook_deliveries_refused_total by reason.
func (b *bundle) refusedDeliveries(t *testing.T) map[string]float64 {
	t.Helper()
	return b.family(t, "idv_webhook_deliveries_refused_total")
}

func (b *bundle) family(t *testing.T, name string) map[string]float64 {
	t.Helper()
	families, err := b.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		want := "outcome"
		if f.GetName() == "idv_webhook_events_refused_total" || f.GetName() == "idv_webhook_deliveries_refused_total" {
			want = "reason"
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() != want {
					t.Errorf("metric %s has label %s", f.GetName(), l.GetName())
				}
			}
			if f.GetName() == name {
				got[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
			}
		}
	}
	return got
}

// decidedAt is when the sessions the tests decide are decided.
var decidedAt = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// decidedEvent decides a new session of the tenant approved at decidedAt,
// as the pipeline does, and returns its idv.session.decided event as the
// outbox holds it, the relay would publish it and the notifier receives it.
func decidedEvent(t *testing.T, b *bundle, tenantID uuid.UUID) (stage.Event, uuid.UUID) {
	t.Helper()
	session := b.session(t, tenantID)
	return b.decide(t, tenantID, session, idv.OutcomePassed, decidedAt), session
}

// delivery is one POST a receiver got.
type delivery struct {
	header    http.Header
	body      []byte
	verifyErr error
}

// receiver is a tenant's webhook endpoint: it verifies every delivery with
// idv.Verify, as a customer's backend would, and answers with status(n)
// for the n-th request (1-based).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	secret []byte
	got    []delivery
	status func(n int) int
	header func(w http.ResponseWriter)
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	t.Helper()
	r := &receiver{status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		err := idv.Verify(r.secret, req.Header, body, time.Now(), 0)
		r.got = append(r.got, delivery{header: req.Header.Clone(), body: body, verifyErr: err})
		n, hdr := len(r.got), r.header
		r.mu.Unlock()
		if hdr != nil {
			hdr(w)
		}
		w.WriteHeader(r.status(n))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) setSecret(s []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret = s
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func always(status int) func(int) int { return func(int) int { return status } }

func TestDeliversSignedThinPayloadOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	recv := newReceiver(t, always(http.StatusNoContent))
	tenantID, secret := b.tenant(t, recv.URL+"/hooks/idv")
	recv.setSecret(secret)
	n := b.notifier(notify.Config{AllowPrivate: true})
	ev, session := decidedEvent(t, b, tenantID)

	if err := n.Handle(ctx, ev); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	got := recv.deliveries()
	if len(got) != 1 {
		t.Fatalf("%d POSTs, want 1", len(got))
	}
	d := got[0]
	if d.verifyErr != nil {
		t.Fatalf("receiver could not verify the delivery: %v", d.verifyErr)
	}
	wantID := notify.WebhookID(ev.MsgID)
	for name, want := range map[string]string{schemas.HeaderWebhookID: wantID, "Content-Type": "application/json",
		"User-Agent": "IDV-Webhooks/1"} {
		if v := d.header.Get(name); v != want {
			t.Errorf("header %s = %q, want %q", name, v, want)
		}
	}
	if !strings.HasPrefix(wantID, "msg_") || len(wantID) != len("msg_")+24 || strings.Contains(wantID, session.String()) {
		t.Errorf("webhook-id %q: want msg_ and 24 opaque hex digits", wantID)
	}

	// Exactly the contract's fields, nothing more.
	var generic map[string]any
	if err := json.Unmarshal(d.body, &generic); err != nil {
		t.Fatal(err)
	}
	if keys := slices.Sorted(mapKeys(generic)); !slices.Equal(keys, []string{"data", "timestamp", "type"}) {
		t.Errorf("payload fields %v", keys)
	}
	data, _ := generic["data"].(map[string]any)
	if keys := slices.Sorted(mapKeys(data)); !slices.Equal(keys, []string{"attempts", "decision", "href", "session_id", "tenant_id"}) {
		t.Errorf("payload data fields %v", keys)
	}
	var p schemas.WebhookPayload
	dec := json.NewDecoder(strings.NewReader(string(d.body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatal(err)
	}
	want := schemas.WebhookPayload{Type: "session.decided", Timestamp: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Data: schemas.WebhookData{SessionID: session.String(), TenantID: tenantID.String(), Decision: "approved",
			Attempts: 1, Href: apiBase + "/v1/sessions/" + session.String()}}
	if !p.Timestamp.Equal(want.Timestamp) || p.Type != want.Type || !reflect.DeepEqual(p.Data, want.Data) {
		t.Errorf("payload %+v, want %+v", p, want)
	}

	// The same event again (a redelivery): nothing more is sent.
	ev.NumDelivered = 2
	if err := n.Handle(ctx, ev); err != nil {
		t.Fatalf("second Handle: %v", err)
	}
	if got := len(recv.deliveries()); got != 1 {
		t.Fatalf("%d POSTs after a redelivery, want 1", got)
	}
	rs := b.rows(t, wantID)
	if len(rs) != 1 {
		t.Fatalf("%d delivery records, want 1: %+v", len(rs), rs)
	}
	r := rs[0]
	if r.Outcome != "delivered" || r.Attempt != 1 || r.Status.Int32 != 204 || r.ErrorCode.Valid ||
		r.TenantID != tenantID || r.SessionID != session || r.EventType != "session.decided" {
		t.Errorf("record %+v", r)
	}
	if c := b.counts(t); c["delivered"] != 1 || c["skipped"] != 1 || c["failed"] != 0 || c["error"] != 0 {
		t.Errorf("counts %v", c)
	}
}

func mapKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestRetriesAfterServerErrorWithTheSameWebhookID(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	recv := newReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	tenantID, secret := b.tenant(t, recv.URL)
	recv.setSecret(secret)
	n := b.notifier(notify.Config{AllowPrivate: true})
	ev, _ := decidedEvent(t, b, tenantID)
	webhookID := notify.WebhookID(ev.MsgID)

	err := n.Handle(ctx, ev)
	if err == nil || stage.IsPermanent(err) || !errors.Is(err, notify.ErrDeliveryFailed) {
		t.Fatalf("Handle after a 500 = %v, want a retryable ErrDeliveryFailed", err)
	}
	if rs := b.rows(t, webhookID); len(rs) != 1 || rs[0].Outcome != "failed" || rs[0].Status.Int32 != 500 ||
		rs[0].ErrorCode.String != "unexpected_status" || rs[0].Attempt != 1 {
		t.Fatalf("records after a 500: %+v", rs)
	}

	ev.NumDelivered = 2 // the consume loop's redelivery
	if err := n.Handle(ctx, ev); err != nil {
		t.Fatalf("Handle after a 200: %v", err)
	}
	rs := b.rows(t, webhookID)
	if len(rs) != 2 || rs[0].Outcome != "failed" || rs[1].Outcome != "delivered" || rs[1].Attempt != 2 {
		t.Fatalf("records: %+v", rs)
	}
	got := recv.deliveries()
	if len(got) != 2 {
		t.Fatalf("%d POSTs, want 2", len(got))
	}
	for i, d := range got {
		if d.verifyErr != nil {
			t.Errorf("POST %d does not verify: %v", i+1, d.verifyErr)
		}
		if id := d.header.Get(schemas.HeaderWebhookID); id != webhookID {
			t.Errorf("POST %d webhook-id %q, want %q", i+1, id, webhookID)
		}
	}
	if string(got[0].body) != string(got[1].body) {
		t.Error("the retry's body differs from the first attempt's")
	}
	if c := b.counts(t); c["failed"] != 1 || c["delivered"] != 1 {
		t.Errorf("counts %v", c)
	}
}

func TestGoneDisablesTheEndpoint(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	recv := newReceiver(t, always(http.StatusGone))
	tenantID, secret := b.tenant(t, recv.URL)
	recv.setSecret(secret)
	n := b.notifier(notify.Config{AllowPrivate: true})
	ev, _ := decidedEvent(t, b, tenantID)

	err := n.Handle(ctx, ev)
	if !stage.IsPermanent(err) || !errors.Is(err, notify.ErrEndpointDisabled) {
		t.Fatalf("Handle after a 410 = %v, want Permanent ErrEndpointDisabled", err)
	}
	plan, err := b.store.Plan(ctx, tenantID, "", time.Now())
	if err != nil || !plan.Target.Disabled() {
		t.Fatalf("endpoint not disabled after 410: %+v, %v", plan.Target, err)
	}
	if rs := b.rows(t, notify.WebhookID(ev.MsgID)); len(rs) != 1 || rs[0].Outcome != "disabled" || rs[0].Status.Int32 != 410 {
		t.Fatalf("records: %+v", rs)
	}

	// Later events are not sent at all.
	later, _ := decidedEvent(t, b, tenantID)
	err = n.Handle(ctx, later)
	if !stage.IsPermanent(err) || !errors.Is(err, notify.ErrEndpointDisabled) {
		t.Fatalf("Handle on a disabled endpoint = %v, want Permanent ErrEndpointDisabled", err)
	}
	if got := len(recv.deliveries()); got != 1 {
		t.Fatalf("%d POSTs, want only the one that got 410", got)
	}
	if rs := b.rows(t, notify.WebhookID(later.MsgID)); len(rs) != 1 || rs[0].Outcome != "disabled" || rs[0].Status.Valid {
		t.Fatalf("records of the later event: %+v", rs)
	}
	if c := b.counts(t); c["disabled"] != 2 {
		t.Errorf("counts %v", c)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	other := newReceiver(t, always(http.StatusOK))
	recv := newReceiver(t, always(http.StatusFound))
	recv.header = func(w http.ResponseWriter) { w.Header().Set("Location", other.URL+"/elsewhere") }
	tenantID, secret := b.tenant(t, recv.URL)
	recv.setSecret(secret)
	n := b.notifier(notify.Config{AllowPrivate: true})
	ev, _ := decidedEvent(t, b, tenantID)

	err := n.Handle(ctx, ev)
	if err == nil || stage.IsPermanent(err) || !errors.Is(err, notify.ErrDeliveryFailed) {
		t.Fatalf("Handle after a 302 = %v, want a retryable ErrDeliveryFailed", err)
	}
	if got := len(other.deliveries()); got != 0 {
		t.Fatalf("the redirect target got %d POSTs", got)
	}
	if got := len(recv.deliveries()); got != 1 {
		t.Fatalf("%d POSTs to the endpoint, want 1", got)
	}
	if rs := b.rows(t, notify.WebhookID(ev.MsgID)); len(rs) != 1 || rs[0].Outcome != "failed" || rs[0].Status.Int32 != 302 ||
		rs[0].ErrorCode.String != "redirect_not_followed" {
		t.Fatalf("records: %+v", rs)
	}
}

// TestRefusedDeliveriesEndAtOnce: a stored URL the rule of registration
// refuses (url_not_allowed), or a name that resolves only inward
// (address_not_allowed, judged at connect time), ends the delivery on its
// first attempt: one attempt recorded as refused, Permanent, nothing sent.
func TestRefusedDeliveriesEndAtOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	// A real endpoint on loopback: with AllowPrivate false it must get nothing,
	// by its address or by a name that resolves to it.
	recv := newReceiver(t, always(http.StatusOK))
	port := recv.URL[strings.LastIndex(recv.URL, ":"):]
	tests := []struct{ url, code string }{
		// Stored under an older or the dev stack's rule: refused before any
		// lookup.
		{recv.URL, "url_not_allowed"},
		{"http://localhost" + port, "url_not_allowed"},
		{"https://localhost" + port, "url_not_allowed"},
		{"https://127.0.0.1" + port, "url_not_allowed"},
		{"https://[::1]" + port, "url_not_allowed"},
		{"https://[::ffff:127.0.0.1]" + port, "url_not_allowed"},
		{"https://169.254.169.254/latest/meta-data/", "url_not_allowed"},
		{"https://2130706433" + port, "url_not_allowed"},
		{"https://0x7f.1" + port, "url_not_allowed"},
		{"https://0177.0.0.1" + port, "url_not_allowed"},
		{"https://127.1" + port, "url_not_allowed"},
		{"https://receiver" + port, "url_not_allowed"},
		// Names that resolve inward: refused at connect time.
		{"https://hooks.loopback.test" + port, "address_not_allowed"},
		{"https://hooks.mapped.test" + port, "address_not_allowed"},
		{"https://hooks.v6loopback.test" + port, "address_not_allowed"},
		{"https://hooks.inward.test" + port, "address_not_allowed"},
		{"https://hooks.private.test/", "address_not_allowed"},
		{"https://hooks.metadata.test/latest/meta-data/", "address_not_allowed"},
		{"https://hooks.cgnat.test/", "address_not_allowed"},
		{"https://hooks.linklocal.test/", "address_not_allowed"},
	}
	// A short timeout only so that a broken check fails fast; nothing waits on it.
	n := b.notifier(notify.Config{Timeout: 3 * time.Second})
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			tenantID, _ := b.tenant(t, "https://hooks.example.test/")
			b.setURL(t, tenantID, tt.url)
			ev, _ := decidedEvent(t, b, tenantID)
			err := n.Handle(ctx, ev)
			want := notify.ErrAddressNotAllowed
			if tt.code == "url_not_allowed" {
				want = notify.ErrURLNotAllowed
			}
			if !stage.IsPermanent(err) || !errors.Is(err, want) {
				t.Fatalf("Handle = %v, want Permanent %v", err, want)
			}
			host := strings.TrimPrefix(strings.TrimPrefix(tt.url, "http://"), "https://")
			if strings.Contains(err.Error(), host) {
				t.Errorf("error %q names the endpoint", err)
			}
			rs := b.rows(t, notify.WebhookID(ev.MsgID))
			if len(rs) != 1 || rs[0].Outcome != "refused" || rs[0].ErrorCode.String != tt.code || rs[0].Status.Valid || rs[0].Attempt != 1 {
				t.Fatalf("records: %+v, want one refused %s", rs, tt.code)
			}
			e, err := b.tenants.Webhook(ctx, tenantID, time.Now())
			if err != nil || e.LastRefusal != tt.code || e.LastRefusedAt == nil {
				t.Fatalf("endpoint after the refusal: %+v, %v", e, err)
			}
		})
	}
	t.Cleanup(func() {
		if got := len(recv.deliveries()); got != 0 {
			t.Errorf("the loopback endpoint got %d POSTs", got)
		}
	})
}

// A name's addresses are tried in turn: the first refuses the connection,
// the second delivers.
func TestNameDeliversToTheFirstAddressThatConnects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	recv := newReceiver(t, always(http.StatusNoContent))
	port := recv.URL[strings.LastIndex(recv.URL, ":"):]
	tenantID, secret := b.tenant(t, "http://hooks.fallback.test"+port+"/idv")
	recv.setSecret(secret)
	ev, _ := decidedEvent(t, b, tenantID)
	if err := b.notifier(notify.Config{AllowPrivate: true}).Handle(context.Background(), ev); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if got := recv.deliveries(); len(got) != 1 || got[0].verifyErr != nil {
		t.Fatalf("deliveries %+v, want one that verifies", got)
	}
}

// TestPrivateNameRefusedOnceThroughTheConsumeLoop (issue 18 point 5): a
// tenant whose webhook host resolves to a private address gets exactly one
// delivery attempt, recorded as refused; the consume loop terminates the
// event rather than retrying it; the refusal is counted by code, is in the
// tenant's audit log with the webhook it will not get, and is the endpoint's
// state (what GET /v1/webhook shows) until the URL changes.
func TestPrivateNameRefusedOnceThroughTheConsumeLoop(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tenantID, _ := b.tenant(t, "https://hooks.private.test/idv")

	srv, err := natsserver.Start(natsserver.NewOptions(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, js, err := broker.Connect(t.Context(), srv.ClientURL(), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if _, err := broker.DeclareStream(t.Context(), js, broker.StreamConfig{Replicas: 1, MaxAge: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := broker.DeclareConsumers(t.Context(), js, notify.Spec); err != nil {
		t.Fatal(err)
	}
	cons, err := broker.Consumer(t.Context(), js, "notify")
	if err != nil {
		t.Fatal(err)
	}
	ev, session := decidedEvent(t, b, tenantID)
	if err := broker.NewPublisher(js).Publish(t.Context(), idv.Message{Subject: ev.Subject, Type: ev.Type, MsgID: ev.MsgID, Body: ev.Data}); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	n := b.notifier(notify.Config{Timeout: 3 * time.Second})
	// Retries 10 ms apart: a refusal retried like a failure would be
	// delivered again within the wait below.
	fast := func(uint64) time.Duration { return 10 * time.Millisecond }
	go func() {
		done <- stage.Run(ctx, cons, n, nil, nil, stage.Config{Stage: notify.Spec, Backoff: fast})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("consume loop: %v", err)
		}
	})
	// A condition, not a timing, is asserted; the deadline only stops a
	// broken test from hanging.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ci, err := cons.Info(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if ci.AckFloor.Consumer == 1 && ci.NumAckPending == 0 {
			if ci.Delivered.Consumer != 1 || ci.NumRedelivered != 0 || ci.NumPending != 0 {
				t.Fatalf("notify consumer delivered %d, redelivered %d, pending %d; want one delivery, terminated",
					ci.Delivered.Consumer, ci.NumRedelivered, ci.NumPending)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the event was not settled at its first delivery: delivered %d, ack floor %d, redelivered %d",
				ci.Delivered.Consumer, ci.AckFloor.Consumer, ci.NumRedelivered)
		}
		time.Sleep(10 * time.Millisecond)
	}

	webhookID := notify.WebhookID(ev.MsgID)
	rs := b.rows(t, webhookID)
	if len(rs) != 1 || rs[0].Outcome != "refused" || rs[0].ErrorCode.String != "address_not_allowed" || rs[0].Status.Valid ||
		rs[0].Attempt != 1 || rs[0].SessionID != session {
		t.Fatalf("records: %+v, want one attempt refused address_not_allowed", rs)
	}
	if c := b.counts(t); c["refused"] != 1 || c["failed"] != 0 || c["error"] != 0 {
		t.Errorf("idv_webhook_deliveries_total %v, want refused 1", c)
	}
	if c := b.refusedDeliveries(t); c["address_not_allowed"] != 1 || c["url_not_allowed"] != 0 {
		t.Errorf("idv_webhook_deliveries_refused_total %v, want address_not_allowed 1", c)
	}

	events, err := postgres.NewAudit(b.db.DB).List(t.Context(), tenantID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var refusals []idv.AuditEvent
	for _, e := range events {
		if e.Action == idv.AuditWebhookDeliveryRefused {
			refusals = append(refusals, e)
		}
	}
	if len(refusals) != 1 {
		t.Fatalf("%d webhook_delivery_refused audit entries, want 1", len(refusals))
	}
	if e := refusals[0]; e.Actor != idv.ActorNotify || e.SessionID == nil || *e.SessionID != session ||
		!maps.Equal(e.Detail, map[string]string{"webhook_id": webhookID, "event_type": "session.decided", "code": "address_not_allowed"}) {
		t.Errorf("audit entry %+v", e)
	}
	if _, err := postgres.NewAudit(b.db.DB).Verify(t.Context(), tenantID); err != nil {
		t.Errorf("audit chain: %v", err)
	}

	e, err := b.tenants.Webhook(t.Context(), tenantID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if e.LastRefusal != "address_not_allowed" || e.LastRefusedAt == nil || time.Since(*e.LastRefusedAt) > time.Minute || e.DisabledAt != nil {
		t.Fatalf("endpoint %+v, want the refusal and still enabled", e)
	}
	// The same URL again keeps the refusal; another URL clears it.
	if _, err := b.tenants.ChangeWebhookURL(t.Context(), tenantID, "https://hooks.private.test/idv", time.Now()); err != nil {
		t.Fatal(err)
	}
	if e, _ := b.tenants.Webhook(t.Context(), tenantID, time.Now()); e.LastRefusal == "" {
		t.Errorf("the same URL cleared the refusal: %+v", e)
	}
	if _, err := b.tenants.ChangeWebhookURL(t.Context(), tenantID, "https://hooks.example.test/idv", time.Now()); err != nil {
		t.Fatal(err)
	}
	if e, _ := b.tenants.Webhook(t.Context(), tenantID, time.Now()); e.LastRefusal != "" || e.LastRefusedAt != nil {
		t.Errorf("a new URL kept the refusal: %+v", e)
	}
}

func TestFailuresAreRecordedAsCodes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	// An endpoint that never answers within the attempt's timeout.
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	// An address nobody listens on.
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	notFound := newReceiver(t, always(http.StatusNotFound))

	n := b.notifier(notify.Config{AllowPrivate: true, Timeout: 200 * time.Millisecond})
	tests := []struct {
		url    string
		status int32
		code   string
	}{
		{slow.URL, 0, "timeout"},
		{closedURL, 0, "connection_refused"},
		{notFound.URL, 404, "unexpected_status"},
		{"http://idv-webhook-test.invalid", 0, "dns_error"}, // unknown to testNames
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			t.Parallel()
			tenantID, _ := b.tenant(t, tt.url)
			ev, _ := decidedEvent(t, b, tenantID)
			err := n.Handle(ctx, ev)
			if err == nil || stage.IsPermanent(err) || !errors.Is(err, notify.ErrDeliveryFailed) {
				t.Fatalf("Handle = %v, want a retryable ErrDeliveryFailed", err)
			}
			if strings.Contains(err.Error(), strings.TrimPrefix(tt.url, "http://")) {
				t.Errorf("error %q names the endpoint", err)
			}
			rs := b.rows(t, notify.WebhookID(ev.MsgID))
			if len(rs) != 1 || rs[0].Outcome != "failed" || rs[0].Status.Int32 != tt.status || rs[0].ErrorCode.String != tt.code {
				t.Fatalf("records: %+v, want status %d code %s", rs, tt.status, tt.code)
			}
		})
	}
}

func TestMalformedEventsArePermanent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	recv := newReceiver(t, always(http.StatusOK))
	tenantID, secret := b.tenant(t, recv.URL)
	recv.setSecret(secret)
	n := b.notifier(notify.Config{AllowPrivate: true})
	good, _ := decidedEvent(t, b, tenantID)
	body := func(s string) stage.Event { ev := good; ev.Data = []byte(s); return ev }
	tests := map[string]stage.Event{
		"not JSON":         body("{"),
		"no tenant":        body(`{"session_id":"6f1c9a52-8a1e-4a8e-9d0f-0c1b2a3d4e5f","decision":"approved","decided_at":"2026-03-01T12:00:00Z"}`),
		"tenant not UUID":  body(`{"session_id":"6f1c9a52-8a1e-4a8e-9d0f-0c1b2a3d4e5f","tenant_id":"acme","decision":"approved","decided_at":"2026-03-01T12:00:00Z"}`),
		"unknown decision": body(`{"session_id":"6f1c9a52-8a1e-4a8e-9d0f-0c1b2a3d4e5f","tenant_id":"` + tenantID.String() + `","decision":"maybe","decided_at":"2026-03-01T12:00:00Z"}`),
		"no decided_at":    body(`{"session_id":"6f1c9a52-8a1e-4a8e-9d0f-0c1b2a3d4e5f","tenant_id":"` + tenantID.String() + `","decision":"approved"}`),
		"other type":       func() stage.Event { ev := good; ev.Type = schemas.TypeSessionSubmitted; return ev }(),
	}
	for name, ev := range tests {
		err := n.Handle(context.Background(), ev)
		if !stage.IsPermanent(err) || !errors.Is(err, notify.ErrMalformedEvent) {
			t.Errorf("%s: Handle = %v, want Permanent ErrMalformedEvent", name, err)
		}
	}
	// A tenant that does not exist cannot be told, now or later.
	ghost := forge(t, idv.DecidedEvent(uuid.New(), uuid.New(), idv.DecisionApproved, decidedAt, 1))
	if err := n.Handle(context.Background(), ghost); !stage.IsPermanent(err) || !errors.Is(err, idv.ErrNotFound) {
		t.Errorf("unknown tenant: Handle = %v, want Permanent ErrNotFound", err)
	}
	if got := len(recv.deliveries()); got != 0 {
		t.Fatalf("%d POSTs for malformed events", got)
	}
	var count int
	if err := b.db.Get(&count, `SELECT count(*) FROM webhook_deliveries`); err != nil || count != 0 {
		t.Fatalf("%d delivery records for malformed events: %v", count, err)
	}
}

// deletedAt is when the sessions the tests wipe are wiped.
var deletedAt = time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC)

// deletedEvent wipes a new session of the tenant at deletedAt for the
// customer's request, as the wipe's store steps do, and returns its
// idv.session.deleted event as the outbox holds it.
func deletedEvent(t *testing.T, b *bundle, tenantID uuid.UUID) (ev stage.Event, session, receipt uuid.UUID) {
	t.Helper()
	session = b.session(t, tenantID)
	ev, receipt = b.wipe(t, tenantID, session)
	return ev, session, receipt
}

func TestDeletedSessionWebhookPointsAtTheReceipt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	recv := newReceiver(t, always(http.StatusOK))
	tenantID, secret := b.tenant(t, recv.URL+"/hooks/idv")
	recv.setSecret(secret)
	n := b.notifier(notify.Config{AllowPrivate: true})
	ev, session, receipt := deletedEvent(t, b, tenantID)

	if err := n.Handle(ctx, ev); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	got := recv.deliveries()
	if len(got) != 1 {
		t.Fatalf("%d POSTs, want 1", len(got))
	}
	d := got[0]
	if d.verifyErr != nil {
		t.Fatalf("receiver could not verify the delivery: %v", d.verifyErr)
	}
	webhookID := notify.WebhookID(ev.MsgID)
	if id := d.header.Get(schemas.HeaderWebhookID); id != webhookID {
		t.Errorf("webhook-id %q, want %q", id, webhookID)
	}
	// The decided webhook of the same session is another webhook.
	decidedID := notify.WebhookID(schemas.MsgID(schemas.TypeSessionDecided, session.String()))
	if webhookID == decidedID {
		t.Error("session.deleted and session.decided share a webhook-id")
	}

	var generic map[string]any
	if err := json.Unmarshal(d.body, &generic); err != nil {
		t.Fatal(err)
	}
	data, _ := generic["data"].(map[string]any)
	if keys := slices.Sorted(mapKeys(data)); !slices.Equal(keys, []string{"href", "session_id", "tenant_id"}) {
		t.Errorf("payload data fields %v, want href, session_id, tenant_id", keys)
	}
	var p schemas.WebhookPayload
	dec := json.NewDecoder(strings.NewReader(string(d.body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatal(err)
	}
	want := schemas.WebhookPayload{Type: "session.deleted", Timestamp: time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC),
		Data: schemas.WebhookData{SessionID: session.String(), TenantID: tenantID.String(),
			Href: apiBase + "/v1/deletion-receipts/" + receipt.String()}}
	if !p.Timestamp.Equal(want.Timestamp) || p.Type != want.Type || !reflect.DeepEqual(p.Data, want.Data) {
		t.Errorf("payload %+v, want %+v", p, want)
	}

	// Redelivered: recorded as delivered, so nothing more is sent.
	ev.NumDelivered = 2
	if err := n.Handle(ctx, ev); err != nil {
		t.Fatalf("second Handle: %v", err)
	}
	if got := len(recv.deliveries()); got != 1 {
		t.Fatalf("%d POSTs after a redelivery, want 1", got)
	}
	rs := b.rows(t, webhookID)
	if len(rs) != 1 || rs[0].Outcome != "delivered" || rs[0].EventType != "session.deleted" ||
		rs[0].SessionID != session || rs[0].TenantID != tenantID || rs[0].Attempt != 1 {
		t.Fatalf("records: %+v", rs)
	}
	if c := b.counts(t); c["delivered"] != 1 || c["skipped"] != 1 {
		t.Errorf("counts %v", c)
	}
}

// A deleted event without its ce-type header is recognised by its subject;
// a failed delivery is retried under the same webhook-id like any other.
func TestDeletedSessionWebhookRetries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	recv := newReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	})
	tenantID, secret := b.tenant(t, recv.URL)
	recv.setSecret(secret)
	n := b.notifier(notify.Config{AllowPrivate: true})
	ev, _, _ := deletedEvent(t, b, tenantID)
	ev.Type, ev.MsgID = "", ""

	err := n.Handle(context.Background(), ev)
	if err == nil || stage.IsPermanent(err) || !errors.Is(err, notify.ErrDeliveryFailed) {
		t.Fatalf("Handle after a 503 = %v, want a retryable ErrDeliveryFailed", err)
	}
	ev.NumDelivered = 2
	if err := n.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	got := recv.deliveries()
	if len(got) != 2 || got[0].header.Get(schemas.HeaderWebhookID) != got[1].header.Get(schemas.HeaderWebhookID) ||
		string(got[0].body) != string(got[1].body) {
		t.Fatalf("deliveries %d, or the retry differs from the first attempt", len(got))
	}
	// The rebuilt message id is the one the event would have carried.
	webhookID := notify.WebhookID(schemas.MsgID(schemas.TypeSessionDeleted, strings.TrimPrefix(ev.Subject, schemas.TypeSessionDeleted+".")))
	if rs := b.rows(t, webhookID); len(rs) != 2 || rs[0].Outcome != "failed" || rs[1].Outcome != "delivered" {
		t.Fatalf("records: %+v", rs)
	}
}

func TestMalformedDeletedEventsArePermanent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	recv := newReceiver(t, always(http.StatusOK))
	tenantID, secret := b.tenant(t, recv.URL)
	recv.setSecret(secret)
	n := b.notifier(notify.Config{AllowPrivate: true})
	good, _, _ := deletedEvent(t, b, tenantID)
	var fields map[string]any
	if err := json.Unmarshal(good.Data, &fields); err != nil {
		t.Fatal(err)
	}
	with := func(key string, value any) stage.Event {
		m := maps.Clone(fields)
		if value == nil {
			delete(m, key)
		} else {
			m[key] = value
		}
		ev := good
		ev.Data, _ = json.Marshal(m)
		return ev
	}
	tests := map[string]stage.Event{
		"not JSON":           func() stage.Event { ev := good; ev.Data = []byte("["); return ev }(),
		"no receipt":         with("receipt_id", nil),
		"receipt not a UUID": with("receipt_id", "receipt-1"),
		"unknown reason":     with("reason", "because"),
		"no deleted_at":      with("deleted_at", nil),
		"session not a UUID": with("session_id", "s"),
	}
	for name, ev := range tests {
		err := n.Handle(context.Background(), ev)
		if !stage.IsPermanent(err) || !errors.Is(err, notify.ErrMalformedEvent) {
			t.Errorf("%s: Handle = %v, want Permanent ErrMalformedEvent", name, err)
		}
	}
	if got := len(recv.deliveries()); got != 0 {
		t.Fatalf("%d POSTs for malformed events", got)
	}
}

// notify's durable consumer, as infra/broker declares it, takes both
// idv.session.decided and idv.session.deleted, and nothing else: a decided
// and a deleted event published to stream IDV become two signed webhooks,
// the expired and submitted events around them never reach the notifier.
func TestNotifyConsumerTakesDecidedAndDeleted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	recv := newReceiver(t, always(http.StatusOK))
	tenantID, secret := b.tenant(t, recv.URL)
	recv.setSecret(secret)

	srv, err := natsserver.Start(natsserver.NewOptions(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, js, err := broker.Connect(t.Context(), srv.ClientURL(), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if _, err := broker.DeclareStream(t.Context(), js, broker.StreamConfig{Replicas: 1, MaxAge: time.Hour}); err != nil {
		t.Fatal(err)
	}
	// A deployment that declared notify before it took deleted events
	// upgrades in place.
	old := notify.Spec
	old.Consumes = []string{schemas.TypeSessionDecided}
	for _, s := range []idv.Stage{old, notify.Spec} {
		if err := broker.DeclareConsumers(t.Context(), js, s); err != nil {
			t.Fatal(err)
		}
	}
	cons, err := broker.Consumer(t.Context(), js, "notify")
	if err != nil {
		t.Fatal(err)
	}
	if got := cons.CachedInfo().Config.FilterSubjects; !slices.Equal(got, []string{"idv.session.decided.>", "idv.session.deleted.>",
		"idv.subprocessor.announced.>", "idv.breach.notified.>", "idv.dsr.received.>", "idv.audit.checkpoint.>"}) {
		t.Fatalf("notify consumer filters %v", got)
	}

	decided, _ := decidedEvent(t, b, tenantID)
	deleted, _, _ := deletedEvent(t, b, tenantID)
	other := uuid.NewString()
	pub := broker.NewPublisher(js)
	for _, m := range []idv.Message{
		{Subject: schemas.Subject(schemas.TypeSessionExpired, other), Type: schemas.TypeSessionExpired,
			MsgID: schemas.MsgID(schemas.TypeSessionExpired, other), Body: []byte(`{}`)},
		{Subject: decided.Subject, Type: decided.Type, MsgID: decided.MsgID, Body: decided.Data},
		{Subject: schemas.Subject(schemas.TypeSessionSubmitted, other), Type: schemas.TypeSessionSubmitted,
			MsgID: schemas.MsgID(schemas.TypeSessionSubmitted, other), Body: []byte(`{}`)},
		{Subject: deleted.Subject, Type: deleted.Type, MsgID: deleted.MsgID, Body: deleted.Data},
	} {
		if err := pub.Publish(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- stage.Run(ctx, cons, b.notifier(notify.Config{AllowPrivate: true}), nil, nil, stage.Config{Stage: notify.Spec})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("consume loop: %v", err)
		}
	})
	// A condition, not a timing, is asserted; the deadline only stops a
	// broken test from hanging.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ci, err := cons.Info(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if ci.AckFloor.Consumer == 2 && ci.NumAckPending == 0 {
			if ci.Delivered.Consumer != 2 || ci.NumPending != 0 {
				t.Fatalf("notify consumer delivered %d, pending %d; want exactly the two webhook events", ci.Delivered.Consumer, ci.NumPending)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("notify consumer never acked both events: %+v", ci)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var types []string
	for _, d := range recv.deliveries() {
		if d.verifyErr != nil {
			t.Fatalf("delivery does not verify: %v", d.verifyErr)
		}
		var p schemas.WebhookPayload
		if err := json.Unmarshal(d.body, &p); err != nil {
			t.Fatal(err)
		}
		types = append(types, p.Type)
	}
	slices.Sort(types)
	if !slices.Equal(types, []string{"session.decided", "session.deleted"}) {
		t.Fatalf("webhooks %v, want one session.decided and one session.deleted", types)
	}
}
