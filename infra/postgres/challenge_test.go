package postgres_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// TestChallengeRecord: an attempt's challenge is recorded when handed out,
// replaced and counted on each further call up to the limit, read back
// with the submission stored by the submit, invisible to another tenant,
// and deleted by the wipe, which keeps the session's tombstone.
func TestChallengeRecord(t *testing.T) {
	t.Parallel()
	f := setupWipes(t)
	ctx := t.Context()
	sessions := postgres.NewSessions(f.db.DB)
	light := schemas.LightSequence{Frames: schemas.LightFrames, Sequence: []schemas.LightSegment{
		{Colour: schemas.LightBaseline, Ms: 800}, {Colour: "#3366ff", Ms: 700}, {Colour: "#ffcc33", Ms: 600}, {Colour: "#33cc66", Ms: 900}}}
	var last time.Time
	for i := range schemas.MaxChallengeIssues {
		last = f.now.Add(time.Duration(i) * time.Second)
		got, err := sessions.IssueChallenge(ctx, idv.AttemptChallenge{SessionID: f.session, TenantID: f.tenant, Attempt: 1,
			IssuedAt: &last, Light: &light})
		if err != nil || got.Issued != i+1 || !got.IssuedAt.Equal(last) || got.Light == nil || got.Light.Sequence[3] != light.Sequence[3] {
			t.Fatalf("issue %d: %+v %v", i+1, got, err)
		}
	}
	if _, err := sessions.IssueChallenge(ctx, idv.AttemptChallenge{SessionID: f.session, TenantID: f.tenant, Attempt: 1,
		IssuedAt: &last}); !errors.Is(err, idv.ErrChallengeLimit) {
		t.Fatalf("issue past the limit: %v", err)
	}
	if _, err := sessions.IssueChallenge(ctx, idv.AttemptChallenge{SessionID: f.session, TenantID: f.tenant, Attempt: 2,
		IssuedAt: &last}); !errors.Is(err, idv.ErrConflict) {
		t.Fatalf("issue for an attempt the session is not at: %v", err)
	}
	sub := schemas.Submission{Timing: map[schemas.CaptureKind][]int{schemas.Light: {450, 700}}, LightDeclined: true,
		Signals: map[string]bool{schemas.SignalAutomation: true}}
	uploaded := idv.Uploads{}
	uploaded.Add(schemas.Selfie, 1, f.now.Add(-time.Second))
	if err := sessions.SubmitWith(ctx, f.tenant, f.session, 1, f.now, sub, uploaded, submittedEvent(f.tenant, f.session, f.now)); err != nil {
		t.Fatal(err)
	}
	got, err := sessions.Challenge(ctx, f.tenant, f.session, 1)
	if err != nil || got.Submission == nil || !got.Submission.LightDeclined || got.Submission.Timing[schemas.Light][1] != 700 ||
		!got.Submission.Signals[schemas.SignalAutomation] || got.Issued != schemas.MaxChallengeIssues {
		t.Fatalf("record %+v, %v", got, err)
	}
	if !got.Uploaded.At(schemas.Selfie, 1).Equal(f.now.Add(-time.Second)) || !got.Uploaded.At(schemas.Selfie, 0).IsZero() {
		t.Fatalf("upload times %v, want selfie/1 at %s", got.Uploaded, f.now.Add(-time.Second))
	}
	if other, err := sessions.Challenge(ctx, f.other, f.session, 1); err != nil || other.IssuedAt != nil || other.Submission != nil {
		t.Fatalf("another tenant reads %+v, %v", other, err)
	}

	f.requestWipe(t)
	if _, _, err := f.wipes.DestroySessionKey(ctx, f.tenant, f.session, f.now); err != nil {
		t.Fatal(err)
	}
	receiptID := uuid.New()
	if err := f.wipes.FinishWipe(ctx, f.tenant, f.session, f.now, f.receipt(receiptID, f.captures), f.deletedEvent(receiptID, f.now)); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT count(*) FROM attempt_challenges WHERE session_id = $1`, f.session); n != 0 {
		t.Fatalf("%d challenge records after the wipe", n)
	}
	if n := f.count(t, `SELECT count(*) FROM sessions WHERE session_id = $1 AND status = 'deleted'`, f.session); n != 1 {
		t.Fatalf("tombstone rows: %d", n)
	}
}

func submittedEvent(tenant, session uuid.UUID, at time.Time) idv.Event {
	return idv.SubmittedEvent(idv.Session{ID: session, TenantID: tenant, Checks: []string{schemas.CheckDocument}, Attempt: 1}, at)
}
