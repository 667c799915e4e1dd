package main

import (
	"context"
	"image"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/idv-oss/idv/face/evaluation"
	"github.com/idv-oss/idv/face/facetest"
	"github.com/idv-oss/idv/face/synth"
	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/schemas"
)

// lightRun is one light session's captures and submission, made once its
// challenge is handed out.
type lightRun struct {
	// light renders the light frames for the drawn sequence at times;
	// nil takes none.
	light func(seq schemas.LightSequence, times []int) []image.Image
	// submission is the body sent with the submit.
	submission func(times []int) schemas.Submission
	// stale backdates the captures' declarations by a minute before the
	// submit, as frames declared before the challenge was handed out.
	stale bool
	// early uploads the selfie frames before the challenge is handed out
	// and declares them again after it without uploading them again (the
	// declarations renewed in the database), as an app replaying frames
	// it made beforehand would.
	early bool
}

// TestLightChallengeEndToEnd: sessions of a tenant whose policy asks for
// the light challenge, through the whole pipeline with the face engine.
// Grace Hopper performing the steps with the drawn light reflected on her
// face (strength 0.3, as the capture page's browser test lights it) is
// approved, with the app's signals in the liveness result's advisory; the
// light of another sequence asks for a retake (challenge_light_mismatch);
// frames declared a minute before they were said to be taken fail
// challenge_timing, as do frames uploaded before the challenge and declared
// again after it; declining the light challenge sends the session to
// review.
func TestLightChallengeEndToEnd(t *testing.T) {
	hopper := holderCard(t)
	e := facetest.Engine(t)
	holder := facetest.Photo(t, "grace_hopper.jpg")
	f := facetest.Locate(t, e, holder)
	s := startSystemWith(t, systemOptions{checks: []string{schemas.CheckDocument, schemas.CheckFace, schemas.CheckLiveness}})
	if _, err := s.owner.ExecContext(t.Context(), `UPDATE tenants SET policy = jsonb_set(policy, '{light_challenge}', 'true')
		WHERE tenant_id = $1`, s.tenant.TenantID); err != nil {
		t.Fatal(err)
	}
	lit := func(strength float64) func(schemas.LightSequence, []int) []image.Image {
		return func(seq schemas.LightSequence, times []int) []image.Image {
			frames, err := evaluation.LightFrames(holder, f, seq, times, strength, synth.Render{Noise: 3, Gain: 1}, 11)
			if err != nil {
				t.Fatal(err)
			}
			return frames
		}
	}
	timed := func(times []int) schemas.Submission {
		return schemas.Submission{Timing: map[schemas.CaptureKind][]int{schemas.Selfie: {-800, 200, 400}, schemas.Light: times},
			Signals: map[string]bool{schemas.SignalAutomation: false, schemas.SignalVirtualCamera: true}}
	}
	start := func(run lightRun) (*verification, <-chan schemas.WebhookPayload) {
		t.Helper()
		ctx := context.Background()
		v := s.newVerification()
		if v.session.Challenge == nil || !v.session.Challenge.Light {
			t.Fatalf("challenge %+v", v.session.Challenge)
		}
		v.replace(schemas.DocumentFront, hopper)
		v.setSelfies(t, asImages(synth.Sequence(holder, f, v.session.Challenge.Steps, 42)))
		v.drop(schemas.Light)
		if run.early {
			if err := v.app.SealAndUpload(ctx, v.session, only(v.captures, schemas.Selfie), nil); err != nil {
				t.Fatal(err)
			}
			v.drop(schemas.Selfie)
			// Longer than the timing's tolerance, so that the uploads
			// precede every frame's reported time by more than it.
			time.Sleep(time.Duration(schemas.TimingToleranceMs)*time.Millisecond + 1500*time.Millisecond)
		}
		ch, err := v.app.Challenge(ctx)
		if err != nil || ch.Light == nil || !slices.Equal(ch.Steps, v.session.Challenge.Steps) {
			t.Fatalf("challenge handed out: %+v %v", ch, err)
		}
		times := []int{}
		for i, seg := range ch.Light.Sequence {
			mid := ch.Light.Start(i) + seg.Ms/2
			times = append(times, mid+50, mid+seg.Ms/4)
		}
		if run.light != nil {
			v.setFrames(t, schemas.Light, run.light(*ch.Light, times))
		}
		hook := s.rcv.Await(v.id, schemas.WebhookSessionDecided)
		if err := v.app.SealAndUpload(ctx, v.session, v.captures, nil); err != nil {
			t.Fatal(err)
		}
		if run.early {
			if _, err := s.owner.ExecContext(ctx, `UPDATE captures SET declared_at = now() WHERE session_id = $1`, v.id); err != nil {
				t.Fatal(err)
			}
		}
		if run.stale {
			if _, err := s.owner.ExecContext(ctx, `UPDATE captures SET declared_at = declared_at - interval '1 minute'
				WHERE session_id = $1`, v.id); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := v.app.SubmitWith(ctx, run.submission(times)); err != nil {
			t.Fatal(err)
		}
		return v, hook
	}
	decided := func(v *verification, hook <-chan schemas.WebhookPayload) sessionResultWithScores {
		t.Helper()
		s.await(v, hook)
		var r sessionResultWithScores
		if err := customerCall(t.Context(), http.MethodGet, s.apiURL+"/v1/sessions/"+v.id, s.tenant.APIKey, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}

	ok := decided(start(lightRun{light: lit(0.3), submission: timed}))
	live := ok.result(schemas.CheckLiveness)
	if ok.Decision != schemas.DecisionApproved || live == nil || live.Outcome != schemas.OutcomePassed ||
		live.Advisory["signal_automation"] != 0 || live.Advisory["signal_virtual_camera"] != 1 {
		t.Fatalf("light followed: %+v", ok)
	}
	if _, sent := live.Advisory["signal_track_mismatch"]; sent {
		t.Errorf("a signal the app did not send is in the advisory: %v", live.Advisory)
	}

	wrong := lightRun{submission: timed, light: func(seq schemas.LightSequence, times []int) []image.Image {
		other := seq
		other.Sequence = slices.Clone(seq.Sequence)
		for i := 1; i < len(other.Sequence); i++ { // each colour to another one, neighbours still apart
			other.Sequence[i].Colour = map[string]string{"#3366ff": "#ffcc33", "#ffcc33": "#3366ff",
				"#33cc66": "#33ccff", "#33ccff": "#33cc66"}[seq.Sequence[i].Colour]
		}
		return lit(0.3)(other, times)
	}}
	v, _ := start(wrong)
	retake := s.retakeRequested(v)
	if len(retake.Retake) != 1 || retake.Retake[0].Capture != schemas.RetakeSelfie ||
		!slices.Contains(retake.Retake[0].Reasons, "challenge_light_mismatch") {
		t.Fatalf("another light: retake %+v", retake.Retake)
	}

	stale := decided(start(lightRun{light: lit(0.3), submission: timed, stale: true}))
	if res := stale.result(schemas.CheckLiveness); stale.Decision != schemas.DecisionDeclined || res == nil ||
		res.Outcome != schemas.OutcomeFailed || !slices.Contains(res.Reasons, "challenge_timing") {
		t.Fatalf("stale frames: %+v", stale)
	}

	// Frames uploaded before the challenge and declared again after it:
	// the declarations are in time, the uploads are not.
	early := decided(start(lightRun{light: lit(0.3), submission: timed, early: true}))
	if res := early.result(schemas.CheckLiveness); early.Decision != schemas.DecisionDeclined || res == nil ||
		!slices.Equal(res.Reasons, []string{"challenge_timing"}) {
		t.Fatalf("frames uploaded before the challenge: %+v", early)
	}

	declined := decided(start(lightRun{submission: func([]int) schemas.Submission {
		return schemas.Submission{LightDeclined: true, Timing: map[schemas.CaptureKind][]int{schemas.Selfie: {-800, 200, 400}}}
	}}))
	if res := declined.result(schemas.CheckLiveness); declined.Decision != schemas.DecisionReview || res == nil ||
		res.Outcome != schemas.OutcomeReview || !slices.Equal(res.Reasons, []string{"challenge_light_declined"}) {
		t.Fatalf("declined: %+v", declined)
	}
}

// only is the captures of kind among caps.
func only(caps []appclient.Capture, kind schemas.CaptureKind) []appclient.Capture {
	var out []appclient.Capture
	for _, c := range caps {
		if c.Kind == kind {
			out = append(out, c)
		}
	}
	return out
}
