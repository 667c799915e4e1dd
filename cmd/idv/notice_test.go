package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	ctx := postgres.WithActor(context.Background(), postgres.ActorOperator)
	hook := s.rcv.await("", schemas.WebhookSubprocessorAnnounced)
	store := postgres.NewSubprocessors(s.st.db)
	if n, err := store.Sync(ctx, []schemas.Subprocessor{testSubprocessor}, time.Now()); err != nil || n != 1 {
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
	if n, err := store.Sync(ctx, []schemas.Subprocessor{testSubprocessor}, time.Now()); err != nil || n != 0 {
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
	var delivered int
	s.st.db.Get(&delivered, `SELECT count(*) FROM webhook_deliveries WHERE tenant_id = $1 AND event_type = $2 AND outcome = 'delivered'`,
		s.tenant.TenantID, schemas.WebhookSubprocessorAnnounced)
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
