package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

var testSubprocessor = schemas.Subprocessor{ID: "ocr-cloud", Name: "OCR Cloud GmbH", Purpose: "Second-opinion MRZ reading",
	Country: "DE", EffectiveDate: "2027-01-01"}

// TestSubprocessorAnnouncedEndToEnd: a new register entry reaches the
// tenant as a signed subprocessor.announced webhook carrying its effective
// date, through the outbox, JetStream and notify; the tenant objects
// through the link it was given; a second sync announces nothing again.
func TestSubprocessorAnnouncedEndToEnd(t *testing.T) {
	s := startSystemWith(t, systemOptions{register: schemas.Register{Subprocessors: []schemas.Subprocessor{testSubprocessor}}})
	ctx := idv.WithActor(context.Background(), idv.ActorOperator)
	hook := s.rcv.Await("", schemas.WebhookSubprocessorAnnounced)
	store := postgres.NewSubprocessors(s.st.db)
	if n, err := store.Sync(ctx, []schemas.Subprocessor{testSubprocessor}, time.Now(), idv.SubprocessorAnnouncedEvent); err != nil || n != 1 {
		t.Fatalf("sync: %d, %v", n, err)
	}
	var p schemas.WebhookPayload
	select {
	case p = <-hook:
	case <-time.After(time.Minute):
		t.Fatal("no subprocessor.announced webhook within a minute")
	}
	if p.Data.TenantID != s.tenant.TenantID.String() || p.Data.SubprocessorID != "ocr-cloud" ||
		p.Data.EffectiveDate != "2027-01-01" || p.Data.ObjectionHref != s.apiURL+"/v1/subprocessors/ocr-cloud/objection" ||
		p.Data.SessionID != "" {
		t.Fatalf("webhook %+v", p.Data)
	}
	var o struct {
		SubprocessorID string `json:"subprocessor_id"`
	}
	if err := customerCall(context.Background(), http.MethodPost, p.Data.ObjectionHref, s.tenant.APIKey, &o); err != nil ||
		o.SubprocessorID != "ocr-cloud" {
		t.Fatalf("objection: %+v, %v", o, err)
	}
	if n, err := store.Sync(ctx, []schemas.Subprocessor{testSubprocessor}, time.Now(), idv.SubprocessorAnnouncedEvent); err != nil || n != 0 {
		t.Fatalf("second sync announced %d (%v), want 0", n, err)
	}
	evs, err := postgres.NewAudit(s.st.db).List(context.Background(), s.tenant.TenantID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); got != "subprocessor_announced,subprocessor_objection" {
		t.Errorf("audit actions %s", got)
	}
	// notify records the delivery after the receiver has answered: wait
	// for the record, then require exactly one.
	var delivered int
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if err := s.owner.Get(&delivered, `SELECT count(*) FROM webhook_deliveries WHERE tenant_id = $1 AND event_type = $2 AND outcome = 'delivered'`,
			s.tenant.TenantID, schemas.WebhookSubprocessorAnnounced); err != nil {
			t.Fatal(err)
		}
		if delivered > 0 || time.Now().After(deadline) {
			break
		}
	}
	if delivered != 1 {
		t.Errorf("%d delivered subprocessor.announced recorded, want 1", delivered)
	}
}

// TestSubprocessorsSyncCommand: `idv subprocessors sync` reads the register
// file and queues one announcement per tenant, once.
func TestSubprocessorsSyncCommand(t *testing.T) {
	a := newAdminSetup(t, "Acme", "Globex")
	file := filepath.Join(t.TempDir(), "subprocessors.json")
	os.WriteFile(file, []byte(`[{"id":"ocr-cloud","name":"OCR Cloud GmbH","purpose":"MRZ reading","country":"DE","effective_date":"2027-01-01"},
		{"id":"mail-us","name":"Mail Inc.","purpose":"Alerts","country":"US","effective_date":"2027-02-01","transfer_safeguard":"SCC"}]`), 0o600)
	a.vars["IDV_SUBPROCESSORS_FILE"] = file
	if out := a.run("subprocessors", "sync"); !strings.Contains(out, "4 announcement(s) queued") {
		t.Fatalf("sync: %s", out)
	}
	if out := a.run("subprocessors", "sync"); !strings.Contains(out, "0 announcement(s) queued") {
		t.Fatalf("second sync: %s", out)
	}
	if out := a.run("subprocessors", "list"); strings.Count(out, "announced to 2 tenant(s), 0 objection(s)") != 2 {
		t.Errorf("list: %s", out)
	}
	var n int
	a.db.Get(&n, `SELECT count(*) FROM outbox WHERE type = $1`, schemas.TypeSubprocessorAnnounced)
	if n != 4 {
		t.Errorf("%d outbox events, want 4", n)
	}
	var body []byte
	a.db.Get(&body, `SELECT body FROM outbox WHERE type = $1 LIMIT 1`, schemas.TypeSubprocessorAnnounced)
	if err := schemas.ValidateEvent(schemas.TypeSubprocessorAnnounced, body); err != nil {
		t.Error(err)
	}
	os.WriteFile(file, []byte(`[{"id":"x","name":"X","purpose":"p","country":"US","effective_date":"2027-01-01"}]`), 0o600)
	if _, err := a.try("subprocessors", "sync"); err == nil || !strings.Contains(err.Error(), "transfer_safeguard") {
		t.Errorf("a US entry without safeguard: %v", err)
	}
}

// TestBreachNotifiedEndToEnd: a breach whose window covers a session of
// the tenant reaches it as a signed breach.notified webhook carrying the
// notice (nature, contact, consequences, measures) and what IDV computed
// (categories, approximate data subjects).
func TestBreachNotifiedEndToEnd(t *testing.T) {
	s := startSystem(t)
	s.newVerification()
	s.newVerification()
	ctx := idv.WithActor(context.Background(), idv.ActorOperator)
	breaches := postgres.NewBreaches(s.st.db)
	now := time.Now()
	b, affected, err := breaches.Open(ctx, idv.Breach{OpenedAt: now, WindowStart: now.Add(-time.Hour),
		WindowEnd: now.Add(time.Minute), Stages: []string{schemas.BreachDatabase}, Nature: "Database replica exposed",
		Consequences: "Verification results could be read.", Measures: "Replica taken offline; credentials rotated.",
		Contact: "dpo@verifier.example"})
	if err != nil || len(affected) != 1 || affected[0].Sessions != 2 {
		t.Fatalf("open: %+v, %v", affected, err)
	}
	hook := s.rcv.Await("", schemas.WebhookBreachNotified)
	if _, _, err := breaches.Notify(ctx, b.ID, time.Now(), idv.BreachNotice); err != nil {
		t.Fatal(err)
	}
	var p schemas.WebhookPayload
	select {
	case p = <-hook:
	case <-time.After(time.Minute):
		t.Fatal("no breach.notified webhook within a minute")
	}
	n := p.Data.Breach
	if n == nil || n.BreachID != b.ID.String() || n.Round != 1 || n.Nature != "Database replica exposed" ||
		n.Contact != "dpo@verifier.example" || n.Measures == "" || n.Consequences == "" || n.Subjects != 2 ||
		strings.Join(n.Categories, ",") != "derived_claims,verification_results" || p.Data.TenantID != s.tenant.TenantID.String() {
		t.Fatalf("webhook %+v breach %+v", p.Data, n)
	}
}

// TestBreachCommands: open computes the affected tenants, notify refuses
// an incomplete notice, update completes it, notify queues it, list shows
// who was notified.
func TestBreachCommands(t *testing.T) {
	a := newAdminSetup(t, "Acme", "Globex")
	a.addSession(a.tenants[0])
	a.addSession(a.tenants[0])
	a.addSession(a.tenants[1])
	a.vars["IDV_PROCESSOR_CONTACT"] = "privacy@verifier.example"
	from, to := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	out := a.run("breach", "open", "--from", from, "--to", to, "--stages", "storage", "--tenants", a.tenants[0],
		"--nature", "Bucket listed publicly")
	m := regexp.MustCompile(`breach ([0-9a-f-]{36}) opened`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "1 tenant(s) affected, ~2 data subject(s)") ||
		!strings.Contains(out, "data identity_document_images,machine_readable_zone; not notified") {
		t.Fatalf("open printed:\n%s", out)
	}
	id := m[1]
	if _, err := a.try("breach", "notify", "--breach", id); err == nil || !strings.Contains(err.Error(), "consequences") {
		t.Fatalf("an incomplete notice was sent: %v", err)
	}
	out = a.run("breach", "update", "--breach", id, "--tenants=", "--consequences", "Sealed photos could be copied",
		"--measures", "Policy restored")
	if !strings.Contains(out, "2 tenant(s) affected, ~3 data subject(s)") {
		t.Fatalf("update printed:\n%s", out)
	}
	if out := a.run("breach", "notify", "--breach", id); !strings.Contains(out, "round 1 queued for 2 tenant(s)") {
		t.Fatalf("notify printed:\n%s", out)
	}
	if out := a.run("breach", "list"); strings.Count(out, "notified (round 1)") != 2 {
		t.Errorf("list:\n%s", out)
	}
	var contact string
	a.db.Get(&contact, `SELECT contact FROM breaches WHERE breach_id = $1`, id)
	if contact != "privacy@verifier.example" {
		t.Errorf("contact %q, want the configured processor contact", contact)
	}
	var n int
	a.db.Get(&n, `SELECT count(*) FROM outbox WHERE type = $1`, schemas.TypeBreachNotified)
	if n != 2 {
		t.Errorf("%d breach.notified events, want 2", n)
	}
}

// TestBreachOverdueMetric: the gauge the IDVBreachNotNotified alert reads
// is 0 for a fresh breach and 1 once it is over 24 hours old (its opening
// moved back, no sleeping) without a notice, and 0 again after notify.
func TestBreachOverdueMetric(t *testing.T) {
	a := newAdminSetup(t, "Acme")
	a.addSession(a.tenants[0])
	reg := prometheus.NewRegistry()
	reg.MustRegister(postgres.NewBreachCollector(a.db.DB))
	gauge := func() float64 {
		t.Helper()
		fams, err := reg.Gather()
		if err != nil || len(fams) != 1 || fams[0].GetName() != "idv_breaches_unnotified_overdue" {
			t.Fatalf("gather: %v %v", fams, err)
		}
		return fams[0].GetMetric()[0].GetGauge().GetValue()
	}
	from, to := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	out := a.run("breach", "open", "--from", from, "--to", to, "--stages", "api", "--nature", "Logs held tokens",
		"--consequences", "Sessions could be read", "--measures", "Tokens revoked", "--contact", "dpo@verifier.example")
	id := regexp.MustCompile(`breach ([0-9a-f-]{36}) opened`).FindStringSubmatch(out)[1]
	if v := gauge(); v != 0 {
		t.Fatalf("fresh breach: gauge %v", v)
	}
	a.db.Exec(`UPDATE breaches SET opened_at = opened_at - interval '25 hours' WHERE breach_id = $1`, id)
	if v := gauge(); v != 1 {
		t.Fatalf("25 hours on, un-notified: gauge %v", v)
	}
	a.run("breach", "notify", "--breach", id)
	if v := gauge(); v != 0 {
		t.Fatalf("after notify: gauge %v", v)
	}
}

// TestDSRReceivedEndToEnd: the person's request in the app reaches the
// controller as a signed dsr.received webhook naming the session, the
// request and its kind.
func TestDSRReceivedEndToEnd(t *testing.T) {
	s := startSystem(t)
	v := s.newVerification()
	hook := s.rcv.Await(v.id, schemas.WebhookDSRReceived)
	req, _ := http.NewRequest(http.MethodPost, s.apiURL+"/v1/app/session/dsr", strings.NewReader(`{"kind":"access"}`))
	req.Header.Set("Authorization", "Bearer "+v.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("dsr: %d", resp.StatusCode)
	}
	var p schemas.WebhookPayload
	select {
	case p = <-hook:
	case <-time.After(time.Minute):
		t.Fatal("no dsr.received webhook within a minute")
	}
	if p.Data.SessionID != v.id || p.Data.DSRKind != "access" || p.Data.DSRID == "" ||
		p.Data.Href != s.apiURL+"/v1/sessions/"+v.id {
		t.Fatalf("webhook %+v", p.Data)
	}
}

// TestFullWebhookPayloadEndToEnd: a tenant whose policy asks for full
// payloads gets the policy-allowed fields in its session.decided webhook,
// and each such send is on record as a read by system:notify.
func TestFullWebhookPayloadEndToEnd(t *testing.T) {
	s := startSystemWith(t, systemOptions{fields: []string{"nationality", "document_valid"}})
	full := schemas.WebhookFull
	if _, err := postgres.NewTenants(s.st.db).UpdatePolicy(context.Background(), s.tenant.TenantID,
		schemas.PolicyChange{WebhookPayload: &full}.Apply); err != nil {
		t.Fatal(err)
	}
	v := s.newVerification()
	p := s.awaitType(v, s.submit(v, nil))
	if p.Type != schemas.WebhookSessionDecided || p.Data.Decision != schemas.DecisionApproved ||
		p.Data.Fields["nationality"] != "NLD" || p.Data.Fields["document_valid"] != true || len(p.Data.Fields) != 2 {
		t.Fatalf("full webhook %+v", p.Data)
	}
	s.waitDeliveries(v.id, "delivered", 1)
	evs, err := postgres.NewAudit(s.st.db).List(context.Background(), s.tenant.TenantID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	reads := 0
	for _, e := range evs {
		if e.Action == idv.AuditPersonalDataRead && e.Actor == idv.ActorNotify &&
			e.Detail["fields"] == "document_valid,nationality" && strings.HasPrefix(e.Detail["webhook_id"], "msg_") {
			reads++
		}
	}
	if reads != 1 {
		t.Errorf("%d reads by notify on record, want 1: %+v", reads, evs)
	}
}
