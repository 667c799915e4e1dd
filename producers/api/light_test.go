package api_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// lightSession sets the tenant's light challenge to on and returns a liveness
// session of it, opened as its app would.
func (b *bundle) lightSession(apiKey string, on bool) (created, *appclient.Client, appclient.Session) {
	b.t.Helper()
	if code := b.call("PATCH", "/v1/policy", apiKey, map[string]any{"light_challenge": on}, nil); code != http.StatusOK {
		b.t.Fatalf("PATCH light_challenge: %d", code)
	}
	var c created
	body := map[string]any{"checks": []string{schemas.CheckDocument, schemas.CheckLiveness}}
	if code := b.call("POST", "/v1/sessions", apiKey, body, &c); code != http.StatusCreated {
		b.t.Fatalf("create liveness session: %d", code)
	}
	app := b.app(c.AppToken)
	sess, err := app.Session(context.Background())
	if err != nil {
		b.t.Fatal(err)
	}
	return c, app, sess
}

// lightCaptures are the light frames of a light session.
func lightCaptures() []appclient.Capture {
	var cs []appclient.Capture
	for i := range schemas.LightFrames {
		cs = append(cs, appclient.Capture{Kind: schemas.Light, Index: i, Plain: bytes.Repeat([]byte{byte(0x40 + i)}, 300)})
	}
	return cs
}

// TestLightChallengeSessionView: under a policy with the light challenge,
// a liveness session says so (challenge.light) and has the light slot;
// a session without liveness, or under a policy without it, has neither.
func TestLightChallengeSessionView(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, _, sess := b.lightSession(b.a.APIKey, true)
	if sess.Challenge == nil || !sess.Challenge.Light {
		t.Fatalf("light session's challenge %+v", sess.Challenge)
	}
	slot, ok := schemas.SlotFor(sess.Slots, schemas.Light)
	selfie, _ := schemas.SlotFor(sess.Slots, schemas.Selfie)
	if !ok || slot.Min != schemas.LightFrames || slot.Max != schemas.LightFrames || slot.MaxSize != selfie.MaxSize {
		t.Fatalf("light slot %+v (%v), selfie %+v", slot, ok, selfie)
	}
	var p struct {
		LightChallenge bool `json:"light_challenge"`
	}
	if code := b.call("GET", "/v1/policy", b.a.APIKey, nil, &p); code != http.StatusOK || !p.LightChallenge {
		t.Fatalf("GET /v1/policy: %d light_challenge %v", code, p.LightChallenge)
	}

	_, _, plain := b.openSession(b.a.APIKey) // the policy's checks: document only
	if _, ok := schemas.SlotFor(plain.Slots, schemas.Light); ok || plain.Challenge != nil {
		t.Fatalf("document-only session under the light policy: challenge %+v slots %+v", plain.Challenge, plain.Slots)
	}
	_, _, off := b.lightSession(b.b.APIKey, false)
	if _, ok := schemas.SlotFor(off.Slots, schemas.Light); ok || off.Challenge == nil || off.Challenge.Light {
		t.Fatalf("liveness session without the light policy: challenge %+v slots %+v", off.Challenge, off.Slots)
	}
}

// TestChallengeHandedOut: POST /v1/app/session/challenge draws a valid
// light sequence per call, records when on the server's clock, refuses a
// sixth call for the attempt and a session without liveness.
func TestChallengeHandedOut(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	c, app, sess := b.lightSession(b.a.APIKey, true)
	sessions := postgres.NewSessions(b.db.DB)
	var seqs []string
	for i := range schemas.MaxChallengeIssues {
		b.clock.Advance(time.Second)
		ch, err := app.Challenge(ctx)
		if err != nil {
			t.Fatalf("challenge %d: %v", i+1, err)
		}
		if ch.Attempt != 1 || ch.WindowMs != schemas.ChallengeWindowMs || len(ch.Steps) != 2 ||
			ch.Light == nil || ch.Light.Validate() != nil || !ch.IssuedAt.Equal(b.clock.Now().UTC().Truncate(time.Microsecond)) {
			t.Fatalf("challenge %d: %+v (light %+v) at %v", i+1, ch, ch.Light, b.clock.Now())
		}
		if !slices.Equal(ch.Steps, sess.Challenge.Steps) {
			t.Fatalf("steps %v, the session's %v", ch.Steps, sess.Challenge.Steps)
		}
		rec, err := sessions.Challenge(ctx, b.a.TenantID, uuid.MustParse(c.ID), 1)
		if err != nil || rec.Issued != i+1 || rec.IssuedAt == nil || !rec.IssuedAt.Equal(ch.IssuedAt) ||
			rec.Light == nil || rec.Light.Sequence[1] != ch.Light.Sequence[1] {
			t.Fatalf("record after %d: %+v (%v)", i+1, rec, err)
		}
		seqs = append(seqs, ch.Light.Sequence[1].Colour+ch.Light.Sequence[2].Colour+ch.Light.Sequence[3].Colour)
	}
	var apiErr *appclient.APIError
	if _, err := app.Challenge(ctx); !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests || apiErr.Code != "challenge_limit" {
		t.Fatalf("sixth challenge: %v", err)
	}
	// 36 sequences of colours, drawn 5 times: all alike has probability 36⁻⁴.
	if seqs[0] == seqs[1] && seqs[1] == seqs[2] && seqs[2] == seqs[3] && seqs[3] == seqs[4] {
		t.Fatalf("five draws gave one sequence %s", seqs[0])
	}

	_, plainApp, _ := b.openSession(b.a.APIKey)
	if _, err := plainApp.Challenge(ctx); !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict || apiErr.Code != "challenge_not_applicable" {
		t.Fatalf("challenge of a session without liveness: %v", err)
	}
	_, offApp, _ := b.lightSession(b.b.APIKey, false)
	ch, err := offApp.Challenge(ctx)
	if err != nil || ch.Light != nil || len(ch.Steps) != 2 {
		t.Fatalf("challenge without light: %+v %v", ch, err)
	}
}

// TestSubmitBody: the submit's body is validated strictly (nothing is
// stored on a refusal and the session stays open), stored with the
// attempt's challenge when accepted; a declined light challenge needs no
// light frames, an undeclined one does.
func TestSubmitBody(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	c, app, sess := b.lightSession(b.a.APIKey, true)
	id := uuid.MustParse(c.ID)
	if _, err := app.Challenge(ctx); err != nil {
		t.Fatal(err)
	}
	if err := app.SealAndUpload(ctx, sess, append(captures(5), lightCaptures()...), nil); err != nil {
		t.Fatal(err)
	}
	refused := []struct {
		body, code, field string
	}{
		{`{"timing": {"selfie": [1, 2]}, "extra": 1}`, "invalid_submission", "extra"},
		{`{"timing": {"document_front": [1]}}`, "invalid_submission", "timing.document_front"},
		{`{"timing": {"light": [1,2,3,4,5,6,7,8,9]}}`, "invalid_submission", "timing.light"},
		{`{"timing": {"selfie": [1.5]}}`, "invalid_submission", "timing.selfie.0"},
		{`{"timing": {"selfie": ["1"]}}`, "invalid_submission", "timing.selfie.0"},
		{`{"timing": {"selfie": 1}}`, "invalid_submission", "timing.selfie"},
		{`{"light_declined": "no"}`, "invalid_submission", "light_declined"},
		{`{"signals": {"automation": 1}}`, "invalid_submission", "signals.automation"},
		{`{"signals": {"user_agent": true}}`, "invalid_submission", "signals.user_agent"},
		{`{"timing": {"selfie": [1]}`, "invalid_request", ""},
		{`[]`, "invalid_request", ""},
	}
	for _, r := range refused {
		var e errBody
		code := b.call("POST", "/v1/app/session/submit", c.AppToken, r.body, &e)
		want := http.StatusUnprocessableEntity
		if r.code == "invalid_request" {
			want = http.StatusBadRequest
		}
		if code != want || e.Error.Code != r.code || e.Error.Details["field"] != r.field {
			t.Errorf("submit %s: %d %+v, want %d %s field %q", r.body, code, e.Error, want, r.code, r.field)
		}
	}
	rec, err := postgres.NewSessions(b.db.DB).Challenge(ctx, b.a.TenantID, id, 1)
	if err != nil || rec.Submission != nil {
		t.Fatalf("after refusals: submission %+v (%v)", rec.Submission, err)
	}
	if n := b.outboxCount(c.ID); n != 0 {
		t.Fatalf("refused submits appended %d events", n)
	}

	want := schemas.Submission{Timing: map[schemas.CaptureKind][]int{
		schemas.Selfie: {-1200, 2400, 4100, 5000, 6000},
		schemas.Light:  {450, 700, 1200, 1450, 1800, 2050, 2500, 2800}},
		Signals: map[string]bool{schemas.SignalAutomation: false, schemas.SignalVirtualCamera: true}}
	if _, err := app.SubmitWith(ctx, want); err != nil {
		t.Fatal(err)
	}
	rec, err = postgres.NewSessions(b.db.DB).Challenge(ctx, b.a.TenantID, id, 1)
	if err != nil || rec.Submission == nil || rec.Issued != 1 ||
		!slices.Equal(rec.Submission.Timing[schemas.Light], want.Timing[schemas.Light]) ||
		!slices.Equal(rec.Submission.Timing[schemas.Selfie], want.Timing[schemas.Selfie]) ||
		rec.Submission.Signals[schemas.SignalVirtualCamera] != true || len(rec.Submission.Signals) != 2 {
		t.Fatalf("stored %+v (%v)", rec, err)
	}

	// Declined: no light frames needed. Not declined: they are.
	_, app2, sess2 := b.lightSession(b.a.APIKey, true)
	if err := app2.SealAndUpload(ctx, sess2, captures(5), nil); err != nil {
		t.Fatal(err)
	}
	var apiErr *appclient.APIError
	if _, err := app2.Submit(ctx); !errors.As(err, &apiErr) || apiErr.Code != "capture_missing" ||
		apiErr.Details["capture"] != "light/0" {
		t.Fatalf("light session submitted without light frames: %v", err)
	}
	if _, err := app2.SubmitWith(ctx, schemas.Submission{LightDeclined: true}); err != nil {
		t.Fatalf("declined light challenge: %v", err)
	}
}
