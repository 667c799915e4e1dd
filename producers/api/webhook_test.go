package api_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

type webhookResp struct {
	URL           string     `json:"url"`
	Disabled      bool       `json:"disabled"`
	Overlap       bool       `json:"secret_overlap"`
	OverlapUntil  *time.Time `json:"secret_overlap_until"`
	LastRefusedAt *time.Time `json:"last_refused_at"`
	LastRefusal   *string    `json:"last_refusal"`
}

type rotatedSecretResp struct {
	WebhookSecret   string    `json:"webhook_secret"`
	OldSecretEndsAt time.Time `json:"old_secret_ends_at"`
}

// TestWebhookURLChange: a URL change goes through the one URL check
// (idv.CheckWebhookURL): private and reserved addresses in any spelling,
// other schemes, credentials and fragments are refused with
// invalid_webhook_url and change nothing, as are hosts that are neither a
// qualified DNS name nor an address in canonical form; a public https URL
// is taken, is the tenant's only, and is audited once per change with the
// calling key as actor.
func TestWebhookURLChange(t *testing.T) {
	t.Parallel()
	b := setup(t)
	refused := []string{
		"", "hooks.example.test/idv", "ftp://hooks.example.test/", "https:///path", "https://user:pw@hooks.example.test/",
		"https://hooks.example.test/#frag", "http://hooks.example.test/idv",
		"https://127.0.0.1/", "https://127.0.0.1:8443/", "http://10.0.0.8/", "https://172.16.3.4/", "https://192.168.0.1/",
		"https://169.254.169.254/latest/meta-data", "https://100.64.0.1/", "https://0.0.0.0/", "https://240.0.0.1/",
		"https://[::1]/", "https://[::ffff:127.0.0.1]/", "https://[::ffff:7f00:1]/", "https://[fe80::1%25eth0]/",
		"https://[fd00::1]/", "https://[64:ff9b::a9fe:a9fe]/", "https://[2002:a00:1::1]/",
		"https://2130706433/", "https://0x7f000001/", "https://0x7f.1/", "https://0177.0.0.1/", "https://127.1/",
		"https://localhost/", "https://LOCALHOST./", "https://api.localhost/",
		"https://receiver/", "https://hooks_1.example.test/", "https://1.2.3.04/", "https://[2606:4700::1%25eth0]/",
		"https://hooks.example.test/" + strings.Repeat("a", 2048),
	}
	for _, u := range refused {
		var e errBody
		if code := b.call("PUT", "/v1/webhook", b.a.APIKey, map[string]string{"url": u}, &e); code != http.StatusUnprocessableEntity ||
			e.Error.Code != "invalid_webhook_url" || e.Error.Details["field"] != "url" {
			t.Errorf("PUT %q: %d %+v, want 422 invalid_webhook_url", u, code, e.Error)
		}
		if len(u) > 8 && strings.Contains(e.Error.Message, u[8:]) {
			t.Errorf("PUT %q: the message echoes the URL: %s", u, e.Error.Message)
		}
	}
	var w webhookResp
	if code := b.call("GET", "/v1/webhook", b.a.APIKey, nil, &w); code != http.StatusOK || w.URL != "https://hooks.example.test/idv" ||
		w.Overlap || w.OverlapUntil != nil || w.Disabled {
		t.Fatalf("GET /v1/webhook after refusals: %d %+v", code, w)
	}

	for _, u := range []string{"https://hooks.example.test/v2", "https://93.184.215.14:8443/idv", "https://[2606:4700:4700::1111]/x"} {
		if code := b.call("PUT", "/v1/webhook", b.a.APIKey, map[string]string{"url": u}, &w); code != http.StatusOK || w.URL != u {
			t.Fatalf("PUT %q: %d %+v", u, code, w)
		}
	}
	// The same URL again changes and records nothing.
	if code := b.call("PUT", "/v1/webhook", b.a.APIKey, map[string]string{"url": "https://[2606:4700:4700::1111]/x"}, &w); code != http.StatusOK {
		t.Fatalf("PUT same URL: %d", code)
	}
	var other webhookResp
	if code := b.call("GET", "/v1/webhook", b.b.APIKey, nil, &other); code != http.StatusOK || other.URL != "https://hooks.example.test/idv" {
		t.Fatalf("tenant B's endpoint: %d %+v", code, other)
	}
	plan, err := postgres.NewDeliveries(b.db.DB).Plan(context.Background(), b.a.TenantID, "", time.Now())
	if err != nil || plan.Target.URL != "https://[2606:4700:4700::1111]/x" {
		t.Fatalf("the notifier's target: %+v, %v", plan.Target.URL, err)
	}

	// A disabled endpoint is re-enabled by a change, even to its URL.
	if err := postgres.NewDeliveries(b.db.DB).DisableWebhook(context.Background(), b.a.TenantID); err != nil {
		t.Fatal(err)
	}
	if b.call("GET", "/v1/webhook", b.a.APIKey, nil, &w); !w.Disabled {
		t.Fatalf("GET after 410: %+v, want disabled", w)
	}
	if code := b.call("PUT", "/v1/webhook", b.a.APIKey, map[string]string{"url": w.URL}, &w); code != http.StatusOK || w.Disabled {
		t.Fatalf("PUT to re-enable: %d %+v", code, w)
	}

	keyID := strings.Split(b.a.APIKey, "_")[2]
	var got []string
	for _, ev := range b.auditActions(b.a.TenantID) {
		if ev.Action == idv.AuditWebhookURLChanged {
			got = append(got, ev.Actor+" "+ev.Detail["url_changed"]+" "+ev.Detail["reenabled"])
		}
	}
	actor := idv.ActorAPIKey(keyID)
	want := []string{actor + " true false", actor + " true false", actor + " true false", actor + " false true"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("webhook_url_changed entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(b.auditActions(b.b.TenantID)) != 0 {
		t.Errorf("tenant B's audit log has entries")
	}
}

// TestWebhookShowsRefusedDelivery (issue 18 point 5): a delivery the
// notifier refused by the address rules, recorded as it records one
// (postgres.Deliveries.RefuseDelivery), is the endpoint's state in GET
// /v1/webhook — when, and a code, never an address — and in the tenant's
// audit export, the tenant's only; the same URL keeps it, another URL
// clears it. Every answer is checked against openapi.yaml.
func TestWebhookShowsRefusedDelivery(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	var raw map[string]any
	if code := b.call("GET", "/v1/webhook", b.a.APIKey, nil, &raw); code != http.StatusOK {
		t.Fatalf("GET /v1/webhook: %d", code)
	}
	for _, k := range []string{"last_refused_at", "last_refusal"} {
		if v, ok := raw[k]; !ok || v != nil {
			t.Errorf("GET before any refusal: %s = %v (present %v), want null", k, v, ok)
		}
	}

	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	session := uuid.New()
	a := idv.DeliveryAttempt{TenantID: b.a.TenantID, SessionID: session, WebhookID: "msg_0123456789abcdef01234567",
		EventType: "session.decided", Attempt: 1, Outcome: idv.DeliveryRefused, ErrorCode: idv.RefusalAddressNotAllowed}
	if err := postgres.NewDeliveries(b.db.DB).RefuseDelivery(ctx, a, at); err != nil {
		t.Fatal(err)
	}
	var w webhookResp
	if code := b.call("GET", "/v1/webhook", b.a.APIKey, nil, &w); code != http.StatusOK || w.LastRefusal == nil ||
		*w.LastRefusal != "address_not_allowed" || w.LastRefusedAt == nil || !w.LastRefusedAt.Equal(at) || w.Disabled {
		t.Fatalf("GET after a refusal: %d %+v", code, w)
	}
	var other webhookResp
	if b.call("GET", "/v1/webhook", b.b.APIKey, nil, &other); other.LastRefusal != nil || other.LastRefusedAt != nil {
		t.Errorf("tenant B's endpoint shows A's refusal: %+v", other)
	}
	var page struct {
		Events []idv.AuditExport `json:"events"`
	}
	if code := b.call("GET", "/v1/audit-events", b.a.APIKey, nil, &page); code != http.StatusOK {
		t.Fatalf("GET /v1/audit-events: %d", code)
	}
	var found int
	for _, e := range page.Events {
		if e.Action == "webhook_delivery_refused" {
			found++
			if e.Actor != "system:notify" || e.SessionID == nil || *e.SessionID != session || e.Detail["webhook_id"] != a.WebhookID ||
				e.Detail["event_type"] != "session.decided" || e.Detail["code"] != "address_not_allowed" {
				t.Errorf("audit entry %+v", e)
			}
		}
	}
	if found != 1 {
		t.Errorf("%d webhook_delivery_refused entries in the export, want 1", found)
	}

	// Only refusals are recorded as such.
	bad := a
	bad.ErrorCode = "timeout"
	if err := postgres.NewDeliveries(b.db.DB).RefuseDelivery(ctx, bad, at); err == nil {
		t.Error("RefuseDelivery took a code that is no refusal")
	}

	// Re-enabling the same URL keeps the refusal; another URL clears it.
	if code := b.call("PUT", "/v1/webhook", b.a.APIKey, map[string]string{"url": w.URL}, &w); code != http.StatusOK || w.LastRefusal == nil {
		t.Fatalf("PUT the same URL: %d %+v", code, w)
	}
	if code := b.call("PUT", "/v1/webhook", b.a.APIKey, map[string]string{"url": "https://hooks.example.test/v3"}, &w); code != http.StatusOK ||
		w.LastRefusal != nil || w.LastRefusedAt != nil {
		t.Fatalf("PUT another URL: %d %+v", code, w)
	}
}

// TestWebhookSecretRotation: a rotation answers a new whsec_ secret once,
// keeps the old one sealed until the overlap's end (shown by GET, never
// with a secret), after which the notifier's read leaves it out and the
// next rotation deletes it; overlaps out of range are refused.
func TestWebhookSecretRotation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	deliveries := postgres.NewDeliveries(b.db.DB)
	tenants := postgres.NewTenants(b.db.DB)
	original, err := idv.ParseSecret(b.a.WebhookSecret)
	if err != nil {
		t.Fatal(err)
	}

	for _, body := range []string{`{"overlap_seconds":-1}`, `{"overlap_seconds":604801}`} {
		var e errBody
		if code := b.call("POST", "/v1/webhook/secret/rotate", b.a.APIKey, body, &e); code != http.StatusUnprocessableEntity ||
			e.Error.Code != "invalid_overlap" {
			t.Errorf("rotate %s: %d %+v", body, code, e.Error)
		}
	}

	start := b.clock.Now().UTC().Truncate(time.Microsecond)
	var r rotatedSecretResp
	if code := b.call("POST", "/v1/webhook/secret/rotate", b.a.APIKey, `{"overlap_seconds":3600}`, &r); code != http.StatusCreated {
		t.Fatalf("rotate: %d", code)
	}
	fresh, err := idv.ParseSecret(r.WebhookSecret)
	if err != nil || bytes.Equal(fresh, original) {
		t.Fatalf("new secret %v (same as old: %v)", err, bytes.Equal(fresh, original))
	}
	if !r.OldSecretEndsAt.Equal(start.Add(time.Hour)) {
		t.Errorf("old_secret_ends_at %s, want %s", r.OldSecretEndsAt, start.Add(time.Hour))
	}
	var w webhookResp
	if b.call("GET", "/v1/webhook", b.a.APIKey, nil, &w); !w.Overlap || w.OverlapUntil == nil || !w.OverlapUntil.Equal(start.Add(time.Hour)) {
		t.Fatalf("GET during overlap: %+v", w)
	}

	// Stored: the new secret as current, the old one retiring, both sealed.
	tn, err := tenants.Get(ctx, b.a.TenantID)
	if err != nil {
		t.Fatal(err)
	}
	if cur, err := b.vault.OpenSecret(b.a.TenantID, schemas.WebhookSecretPurpose, tn.WebhookSecretSealed); err != nil || !bytes.Equal(cur, fresh) {
		t.Fatalf("current secret is not the one shown: %v", err)
	}
	retiring, err := retiringSecrets(ctx, deliveries, b.a.TenantID, start.Add(time.Hour-time.Second))
	if err != nil || len(retiring) != 1 {
		t.Fatalf("retiring secrets during the overlap: %d, %v", len(retiring), err)
	}
	if bytes.Equal(retiring[0], original) {
		t.Fatal("the retiring secret is stored unsealed")
	}
	if old, err := b.vault.OpenSecret(b.a.TenantID, schemas.WebhookSecretPurpose, retiring[0]); err != nil || !bytes.Equal(old, original) {
		t.Fatalf("retiring secret is not the old one: %v", err)
	}
	if after, err := retiringSecrets(ctx, deliveries, b.a.TenantID, start.Add(time.Hour)); err != nil || len(after) != 0 {
		t.Fatalf("retiring secrets at the overlap's end: %d, %v", len(after), err)
	}
	if other, err := retiringSecrets(ctx, deliveries, b.b.TenantID, start); err != nil || len(other) != 0 {
		t.Fatalf("tenant B's retiring secrets: %d, %v", len(other), err)
	}

	// After the overlap: GET shows none; the next rotation (default
	// overlap, a day) deletes the ended row and keeps the one it retires.
	b.clock.Advance(2 * time.Hour)
	if b.call("GET", "/v1/webhook", b.a.APIKey, nil, &w); w.Overlap || w.OverlapUntil != nil {
		t.Fatalf("GET after the overlap: %+v", w)
	}
	second := b.clock.Now().UTC().Truncate(time.Microsecond)
	if code := b.call("POST", "/v1/webhook/secret/rotate", b.a.APIKey, nil, &r); code != http.StatusCreated ||
		!r.OldSecretEndsAt.Equal(second.Add(idv.DefaultWebhookSecretOverlap)) {
		t.Fatalf("rotate with the default overlap: %d %+v", code, r)
	}
	var rows int
	if err := b.db.Get(&rows, `SELECT count(*) FROM webhook_secrets_retiring WHERE tenant_id = $1`, b.a.TenantID); err != nil || rows != 1 {
		t.Fatalf("retiring rows after the second rotation: %d, %v (want the ended one deleted)", rows, err)
	}
	// Overlap 0 ends the old secret at once: nothing more is kept.
	if code := b.call("POST", "/v1/webhook/secret/rotate", b.a.APIKey, `{"overlap_seconds":0}`, &r); code != http.StatusCreated {
		t.Fatalf("rotate with overlap 0: %d", code)
	}
	if got, _ := retiringSecrets(ctx, deliveries, b.a.TenantID, b.clock.Now()); len(got) != 1 {
		t.Fatalf("retiring after overlap-0 rotation: %d, want the previous rotation's one", len(got))
	}

	keyID := strings.Split(b.a.APIKey, "_")[2]
	var got []string
	for _, ev := range b.auditActions(b.a.TenantID) {
		if ev.Action != idv.AuditWebhookSecretRotated {
			continue
		}
		got = append(got, ev.Actor+" "+ev.Detail["overlap_seconds"])
		for k, v := range ev.Detail {
			if strings.Contains(v, "whsec_") || len(v) > 40 {
				t.Errorf("audit detail %s=%q looks like a secret", k, v)
			}
		}
	}
	actor := idv.ActorAPIKey(keyID)
	want := []string{actor + " 3600", actor + " 86400", actor + " 0"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("webhook_secret_rotated entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// retiringSecrets are the tenant's retiring webhook secrets at now, as the
// notifier reads them.
func retiringSecrets(ctx context.Context, d *postgres.Deliveries, tenantID uuid.UUID, now time.Time) ([][]byte, error) {
	plan, err := d.Plan(ctx, tenantID, "", now)
	return plan.Retiring, err
}
