package decision_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// completeAttempt records a check's result for an attempt as a check stage
// does (idv.RecordResult) and returns its event as the relay delivers it.
func (b *bundle) completeAttempt(t *testing.T, id uuid.UUID, attempt int, check string, outcome idv.Outcome, reasons ...string) stage.Event {
	t.Helper()
	r := idv.Result{SessionID: id, TenantID: b.tenant, Attempt: attempt, Check: check, Outcome: outcome,
		Reasons: append([]string{}, reasons...), Engine: "test/1"}
	if err := idv.RecordResult(t.Context(), postgres.NewResults(b.db.DB), r); err != nil {
		t.Fatal(err)
	}
	ev := stage.Event{NumDelivered: 1}
	err := b.db.QueryRowContext(t.Context(), `SELECT msg_id, type, subject, body, created_at FROM outbox WHERE msg_id = $1`,
		r.CompletedEvent().MsgID).Scan(&ev.MsgID, &ev.Type, &ev.Subject, &ev.Data, &ev.Time)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func (b *bundle) handle(t *testing.T, evs ...stage.Event) {
	t.Helper()
	for _, ev := range evs {
		if err := b.stage.Handle(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
}

// A fixable reason before the last attempt returns the session to the
// person instead of deciding it; the next attempt is checked and decided
// afresh, and the customer hears of the session once, with the attempt
// count.
func TestRetakeThenDecide(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	sessions := postgres.NewSessions(b.db.DB)
	id := uuid.New()
	expires := b.now.AddDate(0, 0, 7).Truncate(time.Hour)
	checks := []string{schemas.CheckDocument, schemas.CheckFace}
	sess := idv.Session{ID: id, TenantID: b.tenant, Status: idv.StatusCreated, Attempt: 1, MaxAttempts: 3,
		Checks: checks, SelfieFrames: 1, RetentionDays: 7, CreatedAt: b.now, ExpiresAt: expires,
		AppTokenHash: random(32), AppTokenExpiresAt: b.now.Add(time.Hour)}
	if err := sessions.Create(ctx, sess, idv.WrappedKey{SessionID: id, TenantID: b.tenant, Epoch: expires,
		PublicKey: random(32), Wrapped: random(60)}); err != nil {
		t.Fatal(err)
	}
	if err := idv.Submit(ctx, sessions, sess, b.now); err != nil {
		t.Fatal(err)
	}

	doc1 := b.completeAttempt(t, id, 1, schemas.CheckDocument, idv.OutcomeResubmit, "image_glare", "image_blurry")
	face1 := b.completeAttempt(t, id, 1, schemas.CheckFace, idv.OutcomeResubmit, "no_face_selfie")
	b.handle(t, doc1, face1)
	got, err := sessions.Get(ctx, b.tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	want := []schemas.Retake{{Capture: schemas.RetakeDocument, Reasons: []string{"image_blurry", "image_glare"}},
		{Capture: schemas.RetakeSelfie, Reasons: []string{"no_face_selfie"}}}
	if got.Status != idv.StatusRetakeRequested || got.Attempt != 2 || got.Decision != nil || !equalRetakes(got.Retake, want) {
		t.Fatalf("after attempt 1: status %s, attempt %d, decision %v, retake %+v", got.Status, got.Attempt, got.Decision, got.Retake)
	}
	if n := len(b.decided(t, id)); n != 0 {
		t.Fatalf("%d decided events after a retake, want 0", n)
	}
	// A late redelivery of attempt 1's event changes nothing.
	b.handle(t, face1)
	// The first attempt cannot be submitted again; the second can.
	if err := sessions.Submit(ctx, b.tenant, id, 1, b.now, idv.SubmittedEvent(sess, b.now)); !errors.Is(err, idv.ErrConflict) {
		t.Fatalf("submitting attempt 1 again: %v, want ErrConflict", err)
	}
	if err := idv.Submit(ctx, sessions, got, b.now); err != nil {
		t.Fatal(err)
	}
	if got, _ := sessions.Get(ctx, b.tenant, id); got.Status != idv.StatusSubmitted || len(got.Retake) != 0 {
		t.Fatalf("after submitting attempt 2: status %s, retake %+v", got.Status, got.Retake)
	}
	// Attempt 1's results do not count for attempt 2.
	b.handle(t, b.completeAttempt(t, id, 2, schemas.CheckDocument, idv.OutcomePassed))
	if got, _ := sessions.Get(ctx, b.tenant, id); got.Decision != nil {
		t.Fatalf("decided %s with attempt 2's face check pending", *got.Decision)
	}
	b.handle(t, b.completeAttempt(t, id, 2, schemas.CheckFace, idv.OutcomePassed))
	bodies := b.decided(t, id)
	if len(bodies) != 1 {
		t.Fatalf("%d decided events, want 1", len(bodies))
	}
	var body schemas.SessionDecided
	if err := json.Unmarshal(bodies[0], &body); err != nil {
		t.Fatal(err)
	}
	if body.Decision != schemas.DecisionApproved || body.Attempts != 2 {
		t.Fatalf("decided event %s, want approved after 2 attempts", bodies[0])
	}
	if err := schemas.ValidateEvent(schemas.TypeSessionDecided, bodies[0]); err != nil {
		t.Fatal(err)
	}
	results, err := postgres.NewResults(b.db.DB).List(ctx, b.tenant, id)
	if err != nil || len(results) != 2 || results[0].Attempt != 2 || results[1].Attempt != 2 {
		t.Fatalf("results shown: %+v, %v; want attempt 2's two", results, err)
	}
}

func equalRetakes(a, b []schemas.Retake) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
