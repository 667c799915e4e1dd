package idv_test

import (
	"errors"
	"testing"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

func TestNewSession(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 7, 30, 0, 0, time.UTC)
	tenant := idv.Tenant{RetentionDays: 7, Policy: schemas.DefaultPolicy()}
	s, err := idv.NewSession(tenant, idv.SessionRequest{}, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != idv.StatusCreated || s.RetentionDays != 7 || !s.ExpiresAt.Equal(schemas.ExpiresAt(now, 7)) ||
		len(s.ChipChallenge) != schemas.ChipChallengeBytes || s.Challenge != nil || !s.AppTokenExpiresAt.Equal(now.Add(time.Hour)) {
		t.Errorf("default session: %+v", s)
	}
	frames, day := 3, 1
	live, err := idv.NewSession(tenant, idv.SessionRequest{Checks: []string{schemas.CheckDocument, schemas.CheckFace, schemas.CheckLiveness},
		SelfieFrames: &frames, RetentionDays: &day}, now, 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(live.Challenge) != 2 || !live.AppTokenExpiresAt.Equal(live.ExpiresAt) {
		t.Errorf("liveness session: challenge %v, token until %s, expires %s", live.Challenge, live.AppTokenExpiresAt, live.ExpiresAt)
	}
	eight, none := 8, 0
	for name, c := range map[string]struct {
		req         idv.SessionRequest
		code, field string
	}{
		"unknown check":          {idv.SessionRequest{Checks: []string{"palm"}}, "invalid_checks", "checks"},
		"liveness with 0 frames": {idv.SessionRequest{Checks: []string{schemas.CheckLiveness}, SelfieFrames: &none}, "invalid_selfie_frames", "selfie_frames"},
		"beyond the tenant's":    {idv.SessionRequest{RetentionDays: &eight}, "retention_out_of_range", "retention_days"},
		"no retention":           {idv.SessionRequest{RetentionDays: &none}, "retention_out_of_range", "retention_days"},
	} {
		_, err := idv.NewSession(tenant, c.req, now, time.Hour)
		if re := (*idv.RequestError)(nil); !errors.As(err, &re) || re.Code != c.code || re.Field != c.field {
			t.Errorf("%s: %v, want %s on %s", name, err, c.code, c.field)
		}
	}
}
