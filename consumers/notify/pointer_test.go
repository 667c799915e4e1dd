package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/notify"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/infra/logtest"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// What the webhooks announce is made here as IDV makes it — sessions
// decided and wiped, breaches notified, sub-processors announced, requests
// received — through the stores, whose transactions append the events to
// the outbox; the notifier is handed each event as the outbox holds it,
// which is what the relay publishes. Forged events are built with the
// core's own constructors from whatever values a forger likes.

// session creates a session of the tenant, asking for the document check,
// with a stand-in key pair (a thin webhook never opens it).
func (b *bundle) session(t *testing.T, tenantID uuid.UUID) uuid.UUID {
	t.Helper()
	id := uuid.New()
	created := decidedAt.Add(-time.Hour)
	expires := schemas.ExpiresAt(created, 7)
	err := postgres.NewSessions(b.db.DB).Create(t.Context(), idv.Session{ID: id, TenantID: tenantID, Status: idv.StatusCreated,
		Attempt: 1, MaxAttempts: 1, Checks: []string{schemas.CheckDocument}, SelfieFrames: 1, RetentionDays: 7,
		CreatedAt: created, ExpiresAt: expires, AppTokenHash: make([]byte, 32), AppTokenExpiresAt: created.Add(time.Hour)},
		idv.WrappedKey{SessionID: id, TenantID: tenantID, Epoch: expires, PublicKey: make([]byte, 32), Wrapped: make([]byte, 60)})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// decide submits the session, records its document check's outcome and
// decides it at at, as the pipeline does; it returns the
// idv.session.decided event.
func (b *bundle) decide(t *testing.T, tenantID, session uuid.UUID, outcome idv.Outcome, at time.Time) stage.Event {
	t.Helper()
	ctx := t.Context()
	s := idv.Session{ID: session, TenantID: tenantID, Status: idv.StatusCreated, Attempt: 1, Checks: []string{schemas.CheckDocument}}
	if err := idv.Submit(ctx, postgres.NewSessions(b.db.DB), s, at.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	r := idv.Result{SessionID: session, TenantID: tenantID, Attempt: 1, Check: schemas.CheckDocument, Outcome: outcome, Engine: "test/1"}
	if outcome == idv.OutcomeFailed {
		r.Reasons = []string{"document_expired"}
	}
	if err := idv.RecordResult(ctx, postgres.NewResults(b.db.DB), r); err != nil {
		t.Fatal(err)
	}
	if d, err := idv.Decide(ctx, postgres.NewDecisions(b.db.DB), tenantID, session, at); err != nil || !d.New || d.Decision == "" {
		t.Fatalf("decide: %+v, %v", d, err)
	}
	return b.outboxEvent(t, schemas.MsgID(schemas.TypeSessionDecided, session.String()))
}

// requestWipe requests the session's wipe for the customer.
func (b *bundle) requestWipe(t *testing.T, tenantID, session uuid.UUID) {
	t.Helper()
	if err := idv.RequestWipe(t.Context(), postgres.NewSessions(b.db.DB), tenantID, session, schemas.WipeCustomerRequest,
		deletedAt.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
}

// wipe wipes the session at deletedAt through the wipe's store steps (its
// receipt a stand-in: the notifier only points at it) and returns the
// idv.session.deleted event and the receipt's id.
func (b *bundle) wipe(t *testing.T, tenantID, session uuid.UUID) (stage.Event, uuid.UUID) {
	t.Helper()
	ctx := t.Context()
	b.requestWipe(t, tenantID, session)
	wipes := postgres.NewWipes(b.db.DB)
	if _, _, err := wipes.DestroySessionKey(ctx, tenantID, session, deletedAt.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	receipt := uuid.New()
	if err := wipes.FinishWipe(ctx, tenantID, session, deletedAt,
		idv.Receipt{ID: receipt, Statement: []byte(`{}`), Signature: make([]byte, 64), KeyID: "test"},
		idv.DeletedEvent(tenantID, session, receipt, schemas.WipeCustomerRequest, deletedAt)); err != nil {
		t.Fatal(err)
	}
	return b.outboxEvent(t, schemas.MsgID(schemas.TypeSessionDeleted, session.String())), receipt
}

// openBreach opens a breach whose window covers the sessions the tests
// create, touching the tenants named.
func (b *bundle) openBreach(t *testing.T, tenants ...uuid.UUID) uuid.UUID {
	t.Helper()
	br, _, err := postgres.NewBreaches(b.db.DB).Open(t.Context(), idv.Breach{OpenedAt: decidedAt.Add(2 * time.Hour),
		WindowStart: decidedAt.Add(-2 * time.Hour), WindowEnd: decidedAt.Add(time.Hour), Tenants: tenants,
		Stages: []string{schemas.BreachDatabase}, Nature: "Database replica exposed",
		Consequences: "Verification results could be read.", Measures: "Replica taken offline; credentials rotated.",
		Contact: "dpo@verifier.example"})
	if err != nil {
		t.Fatal(err)
	}
	return br.ID
}

// notifyBreach sends the breach's next round at at and returns the round.
func (b *bundle) notifyBreach(t *testing.T, breach uuid.UUID, at time.Time) int {
	t.Helper()
	round, _, err := postgres.NewBreaches(b.db.DB).Notify(t.Context(), breach, at, idv.BreachNotice)
	if err != nil {
		t.Fatal(err)
	}
	return round
}

// breachEvent is the tenant's idv.breach.notified event of round.
func (b *bundle) breachEvent(t *testing.T, breach, tenantID uuid.UUID, round int) stage.Event {
	t.Helper()
	return b.outboxEvent(t, schemas.MsgID(schemas.TypeBreachNotified, breach.String(), tenantID.String(), strconv.Itoa(round)))
}

// announce announces sub-processor id, effective 2027-01-01, to every
// tenant there is, at at.
func (b *bundle) announce(t *testing.T, id string, at time.Time) {
	t.Helper()
	if _, err := postgres.NewSubprocessors(b.db.DB).Sync(t.Context(), []schemas.Subprocessor{{ID: id, Name: "OCR Cloud GmbH",
		Purpose: "Second-opinion MRZ reading", Country: "DE", EffectiveDate: "2027-01-01"}}, at, idv.SubprocessorAnnouncedEvent); err != nil {
		t.Fatal(err)
	}
}

// announcementEvent is the idv.subprocessor.announced event of id to the
// tenant.
func (b *bundle) announcementEvent(t *testing.T, id string, tenantID uuid.UUID) stage.Event {
	t.Helper()
	return b.outboxEvent(t, schemas.MsgID(schemas.TypeSubprocessorAnnounced, id, tenantID.String()))
}

// request records a data subject's request about the session, received at
// at, and returns its idv.dsr.received event and id.
func (b *bundle) request(t *testing.T, tenantID, session uuid.UUID, kind string, at time.Time) (stage.Event, uuid.UUID) {
	t.Helper()
	d := idv.DSR{ID: uuid.New(), TenantID: tenantID, SessionID: session, Kind: kind, ReceivedAt: at}
	if err := idv.RecordDSR(t.Context(), postgres.NewDSRs(b.db.DB), d); err != nil {
		t.Fatal(err)
	}
	return b.outboxEvent(t, schemas.MsgID(schemas.TypeDSRReceived, d.ID.String())), d.ID
}

// outboxEvent is the outbox row of that message id as the notifier
// receives it once the relay has published it.
func (b *bundle) outboxEvent(t *testing.T, msgID string) stage.Event {
	t.Helper()
	var row struct {
		Type    string `db:"type"`
		Subject string `db:"subject"`
		MsgID   string `db:"msg_id"`
		Body    []byte `db:"body"`
	}
	if err := b.db.Get(&row, `SELECT type, subject, msg_id, body FROM outbox WHERE msg_id = $1`, msgID); err != nil {
		t.Fatalf("outbox row %s: %v", msgID, err)
	}
	return stage.Event{Subject: row.Subject, Type: row.Type, MsgID: row.MsgID, Time: time.Now(), Data: row.Body, NumDelivered: 1}
}

// forge is e as anyone who can publish to the broker could send it.
func forge(t *testing.T, e idv.Event) stage.Event {
	t.Helper()
	body, err := json.Marshal(e.Body)
	if err != nil {
		t.Fatal(err)
	}
	return stage.Event{Subject: e.Subject, Type: e.Type, MsgID: e.MsgID, Time: time.Now(), Data: body, NumDelivered: 1}
}

// payloadFromBody is the webhook the notifier built from an event's body
// before it read webhooks from the database (the decoders of notify.go and
// notice.go up to commit 1fd5993), with the hrefs under apiBase. For an
// event the database confirms, the webhook sent must be this, byte for
// byte.
func payloadFromBody(t *testing.T, ev stage.Event) []byte {
	t.Helper()
	decodeBody := func(v any) {
		if err := json.Unmarshal(ev.Data, v); err != nil {
			t.Fatal(err)
		}
	}
	var p schemas.WebhookPayload
	switch ev.Type {
	case schemas.TypeSessionDecided:
		var body schemas.SessionDecided
		decodeBody(&body)
		p = schemas.WebhookPayload{Type: schemas.WebhookSessionDecided, Timestamp: body.DecidedAt.UTC(),
			Data: schemas.WebhookData{SessionID: body.SessionID, TenantID: body.TenantID, Decision: body.Decision,
				Attempts: body.Attempts, Href: apiBase + "/v1/sessions/" + body.SessionID}}
	case schemas.TypeSessionDeleted:
		var body schemas.SessionDeleted
		decodeBody(&body)
		p = schemas.WebhookPayload{Type: schemas.WebhookSessionDeleted, Timestamp: body.DeletedAt.UTC(),
			Data: schemas.WebhookData{SessionID: body.SessionID, TenantID: body.TenantID,
				Href: apiBase + "/v1/deletion-receipts/" + body.ReceiptID}}
	case schemas.TypeSubprocessorAnnounced:
		var body schemas.SubprocessorAnnounced
		decodeBody(&body)
		p = schemas.WebhookPayload{Type: schemas.WebhookSubprocessorAnnounced, Timestamp: body.AnnouncedAt.UTC(),
			Data: schemas.WebhookData{TenantID: body.TenantID, Href: apiBase + "/v1/subprocessors", SubprocessorID: body.SubprocessorID,
				EffectiveDate: body.EffectiveDate, ObjectionHref: apiBase + "/v1/subprocessors/" + body.SubprocessorID + "/objection"}}
	case schemas.TypeBreachNotified:
		var body schemas.BreachNotified
		decodeBody(&body)
		p = schemas.WebhookPayload{Type: schemas.WebhookBreachNotified, Timestamp: body.NotifiedAt.UTC(),
			Data: schemas.WebhookData{TenantID: body.TenantID, Href: apiBase + "/v1/audit-events", Breach: &body}}
	case schemas.TypeDSRReceived:
		var body schemas.DSRReceived
		decodeBody(&body)
		p = schemas.WebhookPayload{Type: schemas.WebhookDSRReceived, Timestamp: body.ReceivedAt.UTC(),
			Data: schemas.WebhookData{SessionID: body.SessionID, TenantID: body.TenantID, Href: apiBase + "/v1/sessions/" + body.SessionID,
				DSRID: body.DSRID, DSRKind: body.Kind}}
	default:
		t.Fatalf("no webhook for %s", ev.Type)
	}
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Every event IDV writes still becomes the webhook it became when the
// notifier built it from the event's body: the same bytes, signed, under
// the webhook-id of the event's message id. The times carry microseconds,
// as the stores keep them.
func TestEventsBecomeTheSameWebhooks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	recv := newReceiver(t, always(http.StatusNoContent))
	tenantID, secret := b.tenant(t, recv.URL)
	recv.setSecret(secret)
	n := b.notifier(notify.Config{AllowPrivate: true})
	at := decidedAt.Add(123456 * time.Microsecond)

	approved := b.session(t, tenantID)
	declined := b.session(t, tenantID)
	wiped := b.session(t, tenantID)
	deleted, _ := b.wipe(t, tenantID, wiped)
	breach := b.openBreach(t, tenantID)
	round := b.notifyBreach(t, breach, at.Add(3*time.Hour))
	b.announce(t, "ocr-cloud", at.Add(4*time.Hour))
	request, _ := b.request(t, tenantID, approved, schemas.DSRErasure, at.Add(5*time.Hour))
	events := map[string]stage.Event{
		"session.decided approved": b.decide(t, tenantID, approved, idv.OutcomePassed, at),
		"session.decided declined": b.decide(t, tenantID, declined, idv.OutcomeFailed, at.Add(time.Second)),
		"session.deleted":          deleted,
		"breach.notified":          b.breachEvent(t, breach, tenantID, round),
		"subprocessor.announced":   b.announcementEvent(t, "ocr-cloud", tenantID),
		"dsr.received":             request,
	}
	for name, ev := range events {
		before := len(recv.deliveries())
		if err := n.Handle(ctx, ev); err != nil {
			t.Errorf("%s: Handle: %v", name, err)
			continue
		}
		got := recv.deliveries()
		if len(got) != before+1 {
			t.Errorf("%s: %d POSTs, want 1", name, len(got)-before)
			continue
		}
		d := got[before]
		if d.verifyErr != nil {
			t.Errorf("%s: does not verify: %v", name, d.verifyErr)
		}
		if id := d.header.Get(schemas.HeaderWebhookID); id != notify.WebhookID(ev.MsgID) {
			t.Errorf("%s: webhook-id %s, want the event's %s", name, id, notify.WebhookID(ev.MsgID))
		}
		if want := payloadFromBody(t, ev); string(d.body) != string(want) {
			t.Errorf("%s: payload\n%s\nwant\n%s", name, d.body, want)
		}
		checkContract(t, name, d.body)
	}
	if c := b.counts(t); c["delivered"] != float64(len(events)) {
		t.Errorf("counts %v", c)
	}
	for reason, v := range b.refusals(t) {
		if v != 0 {
			t.Errorf("%g events refused (%s)", v, reason)
		}
	}
}

// Events anyone who can publish to the broker could forge: each either
// sends nothing, or sends the webhook of what the database holds — never a
// value the event invented. Every POST either endpoint gets is a webhook of
// an event IDV wrote.
func TestForgedEventsSendOnlyWhatTheDatabaseHolds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	recvA := newReceiver(t, always(http.StatusNoContent))
	tenantA, secretA := b.tenant(t, recvA.URL)
	recvA.setSecret(secretA)
	recvB := newReceiver(t, always(http.StatusNoContent))
	tenantB, secretB := b.tenant(t, recvB.URL)
	recvB.setSecret(secretB)
	log, logs := logtest.New()
	n := notify.New(notify.Deps{Deliveries: b.store, Records: b.notices, Secrets: b.vault, Metrics: notify.NewMetrics(b.reg), Log: log,
		Reads: b.reads},
		notify.Config{APIBaseURL: apiBase, AllowPrivate: true})
	forgedAt := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

	// What IDV wrote: tenant A's sessions undecided, declined, being wiped,
	// a breach notice, an announcement, a request and an audit checkpoint;
	// tenant B's session approved, one wiped, its own breach notice,
	// request and audit checkpoint.
	undecided := b.session(t, tenantA)
	declined := b.session(t, tenantA)
	legitDeclined := b.decide(t, tenantA, declined, idv.OutcomeFailed, decidedAt)
	wiping := b.session(t, tenantA)
	b.decide(t, tenantA, wiping, idv.OutcomePassed, decidedAt)
	b.requestWipe(t, tenantA, wiping)
	breachA := b.openBreach(t, tenantA)
	b.notifyBreach(t, breachA, decidedAt.Add(3*time.Hour))
	legitBreachA := b.breachEvent(t, breachA, tenantA, 1)
	b.announce(t, "ocr-cloud", decidedAt.Add(4*time.Hour))
	legitAnnouncementA := b.announcementEvent(t, "ocr-cloud", tenantA)
	legitRequestA, requestA := b.request(t, tenantA, declined, schemas.DSRAccess, decidedAt.Add(5*time.Hour))
	sessionB := b.session(t, tenantB)
	b.decide(t, tenantB, sessionB, idv.OutcomePassed, decidedAt)
	wipedB := b.session(t, tenantB)
	_, receiptB := b.wipe(t, tenantB, wipedB)
	breachB := b.openBreach(t, tenantB)
	b.notifyBreach(t, breachB, decidedAt.Add(3*time.Hour))
	_, requestB := b.request(t, tenantB, sessionB, schemas.DSRErasure, decidedAt.Add(5*time.Hour))
	checkpoints := b.checkpoints(t, decidedAt.Add(6*time.Hour), tenantA, tenantB)
	legitCheckpointA := checkpoints[tenantA]
	checkpointA, checkpointB := checkpointID(t, legitCheckpointA), checkpointID(t, checkpoints[tenantB])

	var noticeA schemas.BreachNotified
	if err := json.Unmarshal(legitBreachA.Data, &noticeA); err != nil {
		t.Fatal(err)
	}
	invented := noticeA
	invented.Nature, invented.Consequences = "Nothing happened.", "None."
	invented.Measures, invented.Contact = "None needed; disregard earlier notices.", "attacker@example.net"
	invented.Subjects, invented.Categories, invented.NotifiedAt = 0, []string{}, forgedAt
	laterRound := noticeA
	laterRound.Round = 2
	unknownBreach := noticeA
	unknownBreach.BreachID = uuid.NewString()
	othersBreach := noticeA
	othersBreach.BreachID = breachB.String()

	headerForged := legitDeclined
	headerForged.MsgID = "forged-" + uuid.NewString()

	tests := []struct {
		name    string
		ev      stage.Event
		refused string       // the reason counted; "" when something is sent or skipped
		sends   *stage.Event // the event IDV wrote whose webhook is sent; nil: nothing
	}{
		{"decided: the session is undecided", forge(t, idv.DecidedEvent(tenantA, undecided, idv.DecisionApproved, forgedAt, 1)), "undecided", nil},
		{"decided: another decision than the database's",
			forge(t, idv.DecidedEvent(tenantA, declined, idv.DecisionApproved, forgedAt, 3)), "", &legitDeclined},
		{"decided: the same webhook under another message id", headerForged, "", nil},
		{"decided: no such session", forge(t, idv.DecidedEvent(tenantA, uuid.New(), idv.DecisionApproved, forgedAt, 1)), "unknown", nil},
		{"decided: another tenant's session", forge(t, idv.DecidedEvent(tenantA, sessionB, idv.DecisionApproved, forgedAt, 1)), "unknown", nil},
		{"deleted: the session is not wiped",
			forge(t, idv.DeletedEvent(tenantA, declined, uuid.New(), schemas.WipeCustomerRequest, forgedAt)), "not_deleted", nil},
		{"deleted: the wipe is under way",
			forge(t, idv.DeletedEvent(tenantA, wiping, uuid.New(), schemas.WipeCustomerRequest, forgedAt)), "not_deleted", nil},
		{"deleted: another tenant's wiped session",
			forge(t, idv.DeletedEvent(tenantA, wipedB, receiptB, schemas.WipeCustomerRequest, forgedAt)), "unknown", nil},
		{"breach: invented texts", forge(t, idv.BreachNotifiedEvent(invented)), "", &legitBreachA},
		{"breach: a round never notified", forge(t, idv.BreachNotifiedEvent(laterRound)), "not_notified", nil},
		{"breach: no such breach", forge(t, idv.BreachNotifiedEvent(unknownBreach)), "unknown", nil},
		{"breach: another tenant's breach", forge(t, idv.BreachNotifiedEvent(othersBreach)), "unknown", nil},
		{"announcement: invented date",
			forge(t, idv.SubprocessorAnnouncedEvent("ocr-cloud", tenantA, "2020-01-01", forgedAt)), "", &legitAnnouncementA},
		{"announcement: never made", forge(t, idv.SubprocessorAnnouncedEvent("mail-us", tenantA, "2020-01-01", forgedAt)), "unknown", nil},
		{"dsr: another kind and session",
			forge(t, idv.DSRReceivedEvent(requestA, tenantA, sessionB, schemas.DSRErasure, forgedAt)), "", &legitRequestA},
		{"dsr: another tenant's request",
			forge(t, idv.DSRReceivedEvent(requestB, tenantA, sessionB, schemas.DSRErasure, forgedAt)), "unknown", nil},
		{"dsr: no such request",
			forge(t, idv.DSRReceivedEvent(uuid.New(), tenantA, declined, schemas.DSRErasure, forgedAt)), "unknown", nil},
		{"checkpoint: another seq and time than the database's",
			forge(t, idv.AuditCheckpointEvent(idv.StoredCheckpoint{ID: checkpointA, TenantID: tenantA, Seq: 1 << 40, CreatedAt: forgedAt})),
			"", &legitCheckpointA},
		{"checkpoint: no such checkpoint",
			forge(t, idv.AuditCheckpointEvent(idv.StoredCheckpoint{ID: uuid.New(), TenantID: tenantA, Seq: 1, CreatedAt: forgedAt})), "unknown", nil},
		{"checkpoint: another tenant's checkpoint",
			forge(t, idv.AuditCheckpointEvent(idv.StoredCheckpoint{ID: checkpointB, TenantID: tenantA, Seq: 1, CreatedAt: forgedAt})), "unknown", nil},
	}
	wantRefused := map[string]float64{}
	var wantBodies []string
	for _, tt := range tests {
		before := len(recvA.deliveries())
		err := n.Handle(ctx, tt.ev)
		got := recvA.deliveries()[before:]
		switch {
		case tt.refused != "":
			wantRefused[tt.refused]++
			if !stage.IsPermanent(err) || !errors.Is(err, notify.ErrUnconfirmed) {
				t.Errorf("%s: Handle = %v, want Permanent ErrUnconfirmed", tt.name, err)
			}
		case err != nil:
			t.Errorf("%s: Handle: %v", tt.name, err)
		}
		want := 0
		if tt.sends != nil {
			want = 1
		}
		if len(got) != want {
			t.Errorf("%s: %d POSTs, want %d", tt.name, len(got), want)
			continue
		}
		if tt.sends == nil {
			continue
		}
		wantBody := b.wantPayload(t, *tt.sends)
		wantBodies = append(wantBodies, string(wantBody))
		if string(got[0].body) != string(wantBody) {
			t.Errorf("%s: sent\n%s\nwant the database's\n%s", tt.name, got[0].body, wantBody)
		}
		if id := got[0].header.Get(schemas.HeaderWebhookID); id != notify.WebhookID(tt.sends.MsgID) {
			t.Errorf("%s: webhook-id %s, want that of the event IDV wrote", tt.name, id)
		}
		// The event IDV wrote, delivered now or later, is the same webhook:
		// delivered already, it is not sent again.
		if err := n.Handle(ctx, *tt.sends); err != nil || len(recvA.deliveries()) != before+1 {
			t.Errorf("%s: the event IDV wrote: %v, %d POSTs", tt.name, err, len(recvA.deliveries())-before)
		}
	}

	for i, d := range recvA.deliveries() {
		if d.verifyErr != nil || !slices.Contains(wantBodies, string(d.body)) {
			t.Errorf("POST %d to tenant A (%v) is no webhook of an event IDV wrote: %s", i+1, d.verifyErr, d.body)
		}
	}
	if got := recvB.deliveries(); len(got) != 0 {
		t.Errorf("tenant B got %d POSTs from events naming tenant A", len(got))
	}
	for reason, v := range b.refusals(t) {
		if v != wantRefused[reason] {
			t.Errorf("refused (%s) %g, want %g", reason, v, wantRefused[reason])
		}
	}
	// Each refusal is logged once, with the ids the event named and the
	// reason; nothing the forger wrote beyond ids reaches the log.
	var refusedLines int
	for line := range strings.Lines(logs.String()) {
		if !strings.Contains(line, "event not confirmed by the database") {
			continue
		}
		refusedLines++
		if !strings.Contains(line, "tenant_id="+tenantA.String()) || !strings.Contains(line, "reason=") ||
			!strings.Contains(line, "webhook_id=msg_") {
			t.Errorf("refusal logged without its ids: %s", line)
		}
	}
	var refusals float64
	for _, v := range wantRefused {
		refusals += v
	}
	if float64(refusedLines) != refusals {
		t.Errorf("%d refusals logged, want %g", refusedLines, refusals)
	}
	t.Logf("%d forged events: %g refused as not confirmed by the database, %d answered with the webhook of the event IDV wrote (byte-identical, sent once), %g skipped; 0 POSTs of anything else",
		len(tests), refusals, len(wantBodies), float64(len(tests)-len(wantBodies))-refusals)
	for _, s := range []string{invented.Nature, invented.Contact, invented.Measures, "2020-01-01"} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log holds %q, which only the forged events said", s)
		}
	}
	// Refused events leave no delivery record: only the webhooks sent do.
	var records int
	if err := b.db.Get(&records, `SELECT count(*) FROM webhook_deliveries`); err != nil || records != len(wantBodies) {
		t.Errorf("%d delivery records (%v), want %d", records, err, len(wantBodies))
	}
}

// A breach's register keeps one version of the breach: the round the
// tenant was last notified in is sent as the register holds it, an earlier
// round (replaced by the later one, sent under its own webhook-id) is not.
func TestBreachRounds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	recv := newReceiver(t, always(http.StatusOK))
	tenantID, secret := b.tenant(t, recv.URL)
	recv.setSecret(secret)
	n := b.notifier(notify.Config{AllowPrivate: true})
	b.session(t, tenantID)
	breaches := postgres.NewBreaches(b.db.DB)
	notice := func(ev stage.Event) schemas.BreachNotified {
		t.Helper()
		var body schemas.BreachNotified
		if err := json.Unmarshal(ev.Data, &body); err != nil {
			t.Fatal(err)
		}
		return body
	}

	breach := b.openBreach(t, tenantID)
	b.notifyBreach(t, breach, decidedAt.Add(3*time.Hour))
	first := b.breachEvent(t, breach, tenantID, 1)
	if _, _, err := breaches.Update(ctx, breach, decidedAt.Add(4*time.Hour), func(br *idv.Breach) {
		br.Measures = "Replica deleted; every credential rotated; access logs reviewed."
	}); err != nil {
		t.Fatal(err)
	}
	b.notifyBreach(t, breach, decidedAt.Add(5*time.Hour))
	second := b.breachEvent(t, breach, tenantID, 2)

	if err := n.Handle(ctx, first); !stage.IsPermanent(err) || !errors.Is(err, notify.ErrUnconfirmed) {
		t.Fatalf("round 1 after round 2: Handle = %v, want Permanent ErrUnconfirmed", err)
	}
	if err := n.Handle(ctx, second); err != nil {
		t.Fatal(err)
	}
	got := recv.deliveries()
	if len(got) != 1 || string(got[0].body) != string(payloadFromBody(t, second)) {
		t.Fatalf("%d POSTs; want round 2 as queued:\n%s", len(got), payloadFromBody(t, second))
	}
	if r := b.refusals(t); r["superseded"] != 1 {
		t.Errorf("refusals %v", r)
	}

	// Texts changed after a round was notified, before it was delivered:
	// the register holds only the new texts, and those are what is sent.
	other := b.openBreach(t, tenantID)
	b.notifyBreach(t, other, decidedAt.Add(6*time.Hour))
	ev := b.breachEvent(t, other, tenantID, 1)
	measures := "Replica deleted."
	if _, _, err := breaches.Update(ctx, other, decidedAt.Add(7*time.Hour), func(br *idv.Breach) { br.Measures = measures }); err != nil {
		t.Fatal(err)
	}
	if err := n.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	got = recv.deliveries()
	var p schemas.WebhookPayload
	if err := json.Unmarshal(got[len(got)-1].body, &p); err != nil || p.Data.Breach == nil {
		t.Fatal(err)
	}
	queued := notice(ev)
	if p.Data.Breach.Measures != measures || p.Data.Breach.Round != 1 || p.Data.Breach.Nature != queued.Nature ||
		!p.Data.Breach.NotifiedAt.Equal(queued.NotifiedAt) {
		t.Errorf("breach %+v, want round 1 with the measures as updated", p.Data.Breach)
	}
}
