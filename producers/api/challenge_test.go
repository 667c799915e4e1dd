package api_test

import (
	"context"
	"net/http"
	"regexp"
	"testing"

	"github.com/idv-oss/idv/schemas"
)

// TestLivenessChallengeIssued: a session asking for liveness gets a
// challenge drawn by the server, which the app reads from GET
// /v1/app/session; a session without liveness gets none, and one with
// fewer frames than the challenge needs is refused.
func TestLivenessChallengeIssued(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	drawn := map[string]bool{}
	for range 12 {
		var c created
		body := map[string]any{"checks": []string{schemas.CheckDocument, schemas.CheckLiveness}}
		if code := b.call("POST", "/v1/sessions", b.a.APIKey, body, &c); code != http.StatusCreated {
			t.Fatalf("create session with liveness: %d", code)
		}
		s, err := b.app(c.AppToken).Session(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.Challenge == nil || s.Challenge.Validate() != nil || len(s.Challenge.Steps) != 2 {
			t.Fatalf("challenge %+v", s.Challenge)
		}
		drawn[s.Challenge.String()] = true
		again, err := b.app(c.AppToken).Session(ctx)
		if err != nil || !again.Challenge.Equal(*s.Challenge) {
			t.Fatalf("challenge changed between reads: %+v then %+v (%v)", s.Challenge, again.Challenge, err)
		}
	}
	// Four challenges drawn uniformly: all twelve alike has probability 4⁻¹¹.
	if len(drawn) < 2 {
		t.Fatalf("12 sessions drew only %v", drawn)
	}

	plain := b.newSession(b.a.APIKey)
	s, err := b.app(plain.AppToken).Session(ctx)
	if err != nil || s.Challenge != nil {
		t.Fatalf("session without liveness: challenge %+v, %v", s.Challenge, err)
	}
	// Every session has its own nonce for the chip's active authentication.
	other, err := b.app(b.newSession(b.a.APIKey).AppToken).Session(ctx)
	if err != nil || !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(s.ChipChallenge) || other.ChipChallenge == s.ChipChallenge {
		t.Fatalf("chip challenges %q and %q (%v)", s.ChipChallenge, other.ChipChallenge, err)
	}

	var e errBody
	body := map[string]any{"checks": []string{schemas.CheckLiveness}, "selfie_frames": 2}
	if code := b.call("POST", "/v1/sessions", b.a.APIKey, body, &e); code != http.StatusUnprocessableEntity ||
		e.Error.Code != "invalid_selfie_frames" {
		t.Fatalf("liveness with 2 frames: %d %+v", code, e)
	}
}
