package decision_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/decision"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/infra/logtest"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/schemas"
)

// bundle is one test's system: its own database, a tenant, the stage with
// its logs captured.
type bundle struct {
	db     *sqlx.DB
	now    time.Time
	logs   *logtest.Buffer
	stage  *decision.Stage
	tenant uuid.UUID
}

func setup(t *testing.T) *bundle {
	t.Helper()
	db := pgtest.NewDB(t, schemas.MainMigrations())
	b := &bundle{db: db, now: time.Now().UTC().Truncate(time.Microsecond), logs: &logtest.Buffer{}}
	b.stage = b.newStage(db.DB)
	b.tenant = uuid.New()
	err := postgres.NewTenants(db.DB).Create(t.Context(), idv.Tenant{ID: b.tenant, Name: "Tenant", RetentionDays: 7,
		WebhookURL: "https://hooks.example.test/idv", WebhookSecretSealed: random(60), Policy: schemas.DefaultPolicy()},
		idv.APIKey{ID: rand.Text(), TenantID: b.tenant, SecretHash: random(32)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *bundle) newStage(db *sql.DB) *decision.Stage {
	return decision.New(decision.Deps{Sessions: postgres.NewDecisions(db), Now: func() time.Time { return b.now },
		Log: slog.New(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
}

// submitted stores a session requesting checks and submits it, as the API
// does. The decision never opens captures, so the key pair is a stand-in.
func (b *bundle) submitted(t *testing.T, checks ...string) uuid.UUID {
	t.Helper()
	ctx := t.Context()
	sessions := postgres.NewSessions(b.db.DB)
	id := uuid.New()
	expires := b.now.AddDate(0, 0, 7).Truncate(time.Hour)
	err := sessions.Create(ctx, idv.Session{ID: id, TenantID: b.tenant, Status: idv.StatusCreated,
		Checks: checks, SelfieFrames: 1, RetentionDays: 7, CreatedAt: b.now, ExpiresAt: expires,
		AppTokenHash: random(32), AppTokenExpiresAt: b.now.Add(time.Hour)},
		idv.WrappedKey{SessionID: id, TenantID: b.tenant, Epoch: expires, PublicKey: random(32), Wrapped: random(60)})
	if err != nil {
		t.Fatal(err)
	}
	err = sessions.Submit(ctx, b.tenant, id, 1, b.now, idv.Event{
		TenantID: b.tenant, MsgID: schemas.MsgID(schemas.TypeSessionSubmitted, id.String()),
		Type: schemas.TypeSessionSubmitted, Subject: schemas.Subject(schemas.TypeSessionSubmitted, id.String()),
		Body: schemas.SessionSubmitted{SessionID: id.String(), TenantID: b.tenant.String(), Checks: checks, SubmittedAt: b.now},
	})

	if err != nil {
		t.Fatal(err)
	}
	return id
}

// complete stores a check's result with its event, as a check stage does,
// and returns the event as the relay would deliver it.
func (b *bundle) complete(t *testing.T, id uuid.UUID, check, outcome string) stage.Event {
	t.Helper()
	ev, err := b.save(context.Background(), id, check, outcome)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// save is complete for any goroutine: it returns its error.
func (b *bundle) save(ctx context.Context, id uuid.UUID, check, outcome string) (stage.Event, error) {
	reasons := []string{}
	err := postgres.NewResults(b.db.DB).SaveResult(ctx,
		idv.Result{SessionID: id, TenantID: b.tenant, Check: check, Outcome: idv.Outcome(outcome), Reasons: reasons, Engine: "test/1"},
		idv.Event{TenantID: b.tenant, MsgID: schemas.MsgID(schemas.TypeCheckCompleted, id.String(), check),
			Type: schemas.TypeCheckCompleted, Subject: schemas.Subject(schemas.TypeCheckCompleted, id.String()),
			Body: schemas.CheckCompleted{SessionID: id.String(), TenantID: b.tenant.String(), Check: check,
				Outcome: outcome, Reasons: reasons}})
	if err != nil {
		return stage.Event{}, err
	}
	var ev stage.Event
	err = b.db.QueryRowContext(ctx, `SELECT msg_id, type, subject, body, created_at FROM outbox WHERE msg_id = $1`,
		schemas.MsgID(schemas.TypeCheckCompleted, id.String(), check)).Scan(&ev.MsgID, &ev.Type, &ev.Subject, &ev.Data, &ev.Time)
	ev.NumDelivered = 1
	return ev, err
}

type sessionState struct {
	Status    string     `db:"status"`
	Decision  *string    `db:"decision"`
	DecidedAt *time.Time `db:"decided_at"`
}

func (b *bundle) state(t *testing.T, id uuid.UUID) sessionState {
	t.Helper()
	var s sessionState
	if err := b.db.GetContext(t.Context(), &s, `SELECT status, decision, decided_at FROM sessions WHERE session_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return s
}

// decided returns the session's idv.session.decided bodies in the outbox.
func (b *bundle) decided(t *testing.T, id uuid.UUID) [][]byte {
	t.Helper()
	var rows []struct {
		MsgID string `db:"msg_id"`
		Type  string `db:"type"`
		Body  []byte `db:"body"`
	}
	if err := b.db.SelectContext(t.Context(), &rows, `SELECT msg_id, type, body FROM outbox WHERE subject = $1`,
		schemas.Subject(schemas.TypeSessionDecided, id.String())); err != nil {
		t.Fatal(err)
	}
	var bodies [][]byte
	for _, r := range rows {
		if r.Type != schemas.TypeSessionDecided || r.MsgID != schemas.MsgID(schemas.TypeSessionDecided, id.String()) {
			t.Fatalf("decided event with type %q, msg id %q", r.Type, r.MsgID)
		}
		bodies = append(bodies, r.Body)
	}
	return bodies
}

func TestOneCheckPassedIsApprovedOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.submitted(t, schemas.CheckDocument)
	ev := b.complete(t, id, schemas.CheckDocument, schemas.OutcomePassed)
	if err := b.stage.Handle(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	s := b.state(t, id)
	if s.Status != "decided" || s.Decision == nil || *s.Decision != schemas.DecisionApproved || s.DecidedAt == nil || !s.DecidedAt.Equal(b.now) {
		t.Fatalf("session after the decision: %+v", s)
	}
	bodies := b.decided(t, id)
	if len(bodies) != 1 {
		t.Fatalf("%d decided events, want 1", len(bodies))
	}
	var body schemas.SessionDecided
	if err := json.Unmarshal(bodies[0], &body); err != nil {
		t.Fatal(err)
	}
	if body.SessionID != id.String() || body.TenantID != b.tenant.String() || body.Decision != schemas.DecisionApproved || !body.DecidedAt.Equal(b.now) {
		t.Fatalf("decided event %s", bodies[0])
	}
	if err := schemas.ValidateEvent(schemas.TypeSessionDecided, bodies[0]); err != nil {
		t.Fatalf("decided event %s does not match its schema: %v", bodies[0], err)
	}

	// Redelivered, later: nothing changes, nothing more is announced.
	b2 := *b
	b2.now = b.now.Add(time.Hour)
	if err := b2.newStage(b.db.DB).Handle(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	if again := b.state(t, id); !again.DecidedAt.Equal(b.now) || *again.Decision != schemas.DecisionApproved {
		t.Fatalf("session after a redelivery: %+v", again)
	}
	if n := len(b.decided(t, id)); n != 1 {
		t.Fatalf("%d decided events after a redelivery, want 1", n)
	}
	logs := b.logs.String()
	if !strings.Contains(logs, "session decided") {
		t.Fatalf("no decision logged:\n%s", logs)
	}
}

func TestOutcomesDecide(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for outcome, want := range map[string]string{
		schemas.OutcomePassed:   schemas.DecisionApproved,
		schemas.OutcomeFailed:   schemas.DecisionDeclined,
		schemas.OutcomeResubmit: schemas.DecisionResubmissionRequested,
		schemas.OutcomeReview:   schemas.DecisionReview,
	} {
		t.Run(outcome, func(t *testing.T) {
			t.Parallel()
			id := b.submitted(t, schemas.CheckDocument)
			if err := b.stage.Handle(t.Context(), b.complete(t, id, schemas.CheckDocument, outcome)); err != nil {
				t.Fatal(err)
			}
			if s := b.state(t, id); s.Decision == nil || *s.Decision != want {
				t.Fatalf("decision %v, want %s", s.Decision, want)
			}
		})
	}
}

func TestDecisionWaitsForEveryRequestedCheck(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// The store takes any check name; the API admits only the known ones.
	id := b.submitted(t, schemas.CheckDocument, "face")
	doc := b.complete(t, id, schemas.CheckDocument, schemas.OutcomePassed)
	if err := b.stage.Handle(t.Context(), doc); err != nil {
		t.Fatal(err)
	}
	if s := b.state(t, id); s.Decision != nil || s.Status != string(idv.StatusSubmitted) {
		t.Fatalf("decided with a check pending: %+v", s)
	}
	if n := len(b.decided(t, id)); n != 0 {
		t.Fatalf("%d decided events with a check pending", n)
	}
	face := b.complete(t, id, "face", schemas.OutcomeFailed)
	if err := b.stage.Handle(t.Context(), face); err != nil {
		t.Fatal(err)
	}
	if s := b.state(t, id); s.Decision == nil || *s.Decision != schemas.DecisionDeclined {
		t.Fatalf("decision %v, want declined", s.Decision)
	}
	// The first completion redelivered after the decision changes nothing.
	if err := b.stage.Handle(t.Context(), doc); err != nil {
		t.Fatal(err)
	}
	if n := len(b.decided(t, id)); n != 1 {
		t.Fatalf("%d decided events, want 1", n)
	}
}

// A check's event that finds another check pending changes nothing, and
// its transaction holds no lock on the session row: a row lock would leave
// its transaction's id in the row's xmax (issue 20: all but the last of a
// session's checks take no lock, no transaction id and write no WAL).
func TestPendingCheckLocksNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.submitted(t, schemas.CheckDocument, "face", "liveness")
	doc := b.complete(t, id, schemas.CheckDocument, schemas.OutcomePassed)
	face := b.complete(t, id, "face", schemas.OutcomePassed)
	xmax := func() string {
		t.Helper()
		var x string
		if err := b.db.GetContext(t.Context(), &x, `SELECT xmax::text FROM sessions WHERE session_id = $1`, id); err != nil {
			t.Fatal(err)
		}
		return x
	}
	before := xmax()
	for _, ev := range []stage.Event{doc, face, doc} {
		if err := b.stage.Handle(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
		if after := xmax(); after != before {
			t.Fatalf("the session row's xmax went from %s to %s: a decision with liveness pending locked it", before, after)
		}
	}
	if !strings.Contains(b.logs.String(), `"pending":["liveness"]`) {
		t.Fatalf("no log of the pending check:\n%s", b.logs)
	}
	if err := b.stage.Handle(t.Context(), b.complete(t, id, "liveness", schemas.OutcomePassed)); err != nil {
		t.Fatal(err)
	}
	if s := b.state(t, id); s.Decision == nil || *s.Decision != schemas.DecisionApproved {
		t.Fatalf("decision %v, want approved", s.Decision)
	}
	if xmax() == before {
		t.Fatal("the deciding transaction left no mark on the session row")
	}
}

func TestChecksCompletingTogetherDecideOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.submitted(t, schemas.CheckDocument, "face", "liveness")
	evs := []stage.Event{
		b.complete(t, id, schemas.CheckDocument, schemas.OutcomePassed),
		b.complete(t, id, "face", schemas.OutcomePassed),
		b.complete(t, id, "liveness", schemas.OutcomeReview),
	}
	var wg sync.WaitGroup
	errs := make([]error, 3*len(evs))
	for i := range errs {
		wg.Go(func() { errs[i] = b.stage.Handle(context.Background(), evs[i%len(evs)]) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(b.decided(t, id)); n != 1 {
		t.Fatalf("%d decided events, want 1", n)
	}
	if s := b.state(t, id); s.Decision == nil || *s.Decision != schemas.DecisionReview {
		t.Fatalf("decision %v, want review", s.Decision)
	}
}

// Checks that complete while others are being decided: each saves its
// result and then handles its own event, as a check stage and the
// decision stage do, all of a session's at once. Every session is decided
// once: the event of the check that committed last finds every result,
// though the others' found some pending and locked nothing.
func TestChecksSavedWhileDecidingDecideOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	checks := []string{schemas.CheckDocument, "face", "liveness"}
	ids := make([]uuid.UUID, 20)
	for i := range ids {
		ids[i] = b.submitted(t, checks...)
	}
	errs := make(chan error, len(ids)*len(checks))
	var wg sync.WaitGroup
	for _, id := range ids {
		for _, check := range checks {
			wg.Go(func() {
				ev, err := b.save(context.Background(), id, check, schemas.OutcomePassed)
				if err == nil {
					err = b.stage.Handle(context.Background(), ev)
				}
				errs <- err
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		if s := b.state(t, id); s.Decision == nil || *s.Decision != schemas.DecisionApproved {
			t.Fatalf("session %s: %+v, want approved", id, s)
		}
		if n := len(b.decided(t, id)); n != 1 {
			t.Fatalf("session %s: %d decided events, want 1", id, n)
		}
	}
}

func TestDecisionErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	body := func(sessionID uuid.UUID) []byte {
		j, _ := json.Marshal(schemas.CheckCompleted{SessionID: sessionID.String(), TenantID: b.tenant.String(),
			Check: schemas.CheckDocument, Outcome: schemas.OutcomePassed, Reasons: []string{}})
		return j
	}
	// A session still open for captures cannot be decided.
	open := uuid.New()
	expires := b.now.AddDate(0, 0, 7).Truncate(time.Hour)
	if err := postgres.NewSessions(b.db.DB).Create(t.Context(), idv.Session{ID: open, TenantID: b.tenant,
		Status: idv.StatusCreated, Checks: []string{schemas.CheckDocument}, SelfieFrames: 1, RetentionDays: 7,
		CreatedAt: b.now, ExpiresAt: expires, AppTokenHash: random(32), AppTokenExpiresAt: b.now.Add(time.Hour)},
		idv.WrappedKey{SessionID: open, TenantID: b.tenant, Epoch: expires, PublicKey: random(32), Wrapped: random(60)}); err != nil {
		t.Fatal(err)
	}
	otherTenant := body(b.submitted(t, schemas.CheckDocument))
	otherTenant = bytes.Replace(otherTenant, []byte(b.tenant.String()), []byte(uuid.NewString()), 1)
	for name, ev := range map[string]stage.Event{
		"malformed JSON":    {Type: schemas.TypeCheckCompleted, Data: []byte(`[`)},
		"tenant not a UUID": {Type: schemas.TypeCheckCompleted, Data: []byte(`{"session_id":"` + uuid.NewString() + `","tenant_id":"t"}`)},
		"wrong event type":  {Type: schemas.TypeSessionSubmitted, Data: body(uuid.New())},
		"unknown session":   {Type: schemas.TypeCheckCompleted, Data: body(uuid.New())},
		"another tenant's":  {Type: schemas.TypeCheckCompleted, Data: otherTenant},
		"not submitted":     {Type: schemas.TypeCheckCompleted, Data: body(open)},
	} {
		if err := b.stage.Handle(t.Context(), ev); !stage.IsPermanent(err) {
			t.Errorf("%s: %v, want a permanent error", name, err)
		}
	}

	// A database that does not answer is transient: retry later.
	closed, err := postgres.Open(t.Context(), pgtest.ServerURL(t))
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	id := b.submitted(t, schemas.CheckDocument)
	if err := b.newStage(closed).Handle(t.Context(), b.complete(t, id, schemas.CheckDocument, schemas.OutcomePassed)); err == nil || stage.IsPermanent(err) {
		t.Fatalf("closed database: %v, want a transient error", err)
	}
	if s := b.state(t, id); s.Decision != nil {
		t.Fatalf("decided through a closed database: %+v", s)
	}
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
