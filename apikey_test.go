package idv_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
)

func TestAPIKeyState(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	for _, c := range []struct {
		name    string
		revoked *time.Time
		live    bool
		state   string
	}{
		{"no end", nil, true, idv.APIKeyActive},
		{"ends later", at(time.Microsecond), true, idv.APIKeyExpiring},
		{"ends now", at(0), false, idv.APIKeyRevoked},
		{"ended", at(-time.Hour), false, idv.APIKeyRevoked},
	} {
		k := idv.APIKey{ID: "ab", RevokedAt: c.revoked}
		if k.Live(now) != c.live || k.State(now) != c.state {
			t.Errorf("%s: live %v, state %s; want %v, %s", c.name, k.Live(now), k.State(now), c.live, c.state)
		}
	}
}

// keyStore is an APIKeyStore in memory, for the services' rules; the
// store itself is tested against PostgreSQL (infra/postgres).
type keyStore struct {
	keys  []idv.APIKey
	audit []idv.AuditEntry
}

func (s *keyStore) APIKeys(_ context.Context, _ uuid.UUID) ([]idv.APIKey, error) { return s.keys, nil }

func (s *keyStore) ChangeAPIKeys(_ context.Context, _ uuid.UUID, decide func([]idv.APIKey) (idv.APIKeyChange, error)) error {
	ch, err := decide(append([]idv.APIKey(nil), s.keys...))
	if err != nil || (ch.Add == nil && ch.End == "") {
		return err
	}
	if ch.Add != nil {
		s.keys = append(s.keys, *ch.Add)
	}
	for i := range s.keys {
		if s.keys[i].ID == ch.End {
			at := ch.EndAt
			s.keys[i].RevokedAt = &at
		}
	}
	s.audit = append(s.audit, ch.Audit)
	return nil
}

// TestAPIKeyRules: a tenant keeps a key without an end, at most
// MaxLiveAPIKeys work, a key ending already is not rotated again, the
// overlap is bounded, and revoking an ended key changes and records
// nothing.
func TestAPIKeyRules(t *testing.T) {
	ctx := idv.WithActor(context.Background(), idv.ActorOperator)
	tenant := uuid.New()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	s := &keyStore{keys: []idv.APIKey{{ID: "a0", TenantID: tenant, CreatedAt: now}}}

	if _, err := idv.RevokeAPIKey(ctx, s, tenant, "a0", now); !errors.Is(err, idv.ErrLastAPIKey) {
		t.Fatalf("revoking the only key: %v, want ErrLastAPIKey", err)
	}
	if _, err := idv.RevokeAPIKey(ctx, s, tenant, "ff", now); !errors.Is(err, idv.ErrNotFound) {
		t.Fatalf("revoking an unknown key: %v, want ErrNotFound", err)
	}
	for _, d := range []time.Duration{-time.Second, idv.MaxKeyOverlap + time.Second} {
		if _, _, err := idv.RotateAPIKey(ctx, s, tenant, "a0", idv.APIKey{ID: "b0"}, d, now); !errors.Is(err, idv.ErrKeyOverlap) {
			t.Errorf("overlap %s: %v, want ErrKeyOverlap", d, err)
		}
	}
	old, created, err := idv.RotateAPIKey(ctx, s, tenant, "a0", idv.APIKey{ID: "b0"}, idv.MaxKeyOverlap, now)
	if err != nil || !old.RevokedAt.Equal(now.Add(idv.MaxKeyOverlap)) || created.RevokedAt != nil || created.TenantID != tenant {
		t.Fatalf("rotate: %+v %+v %v", old, created, err)
	}
	if _, _, err := idv.RotateAPIKey(ctx, s, tenant, "a0", idv.APIKey{ID: "b1"}, 0, now); !errors.Is(err, idv.ErrAPIKeyEnding) {
		t.Errorf("rotating an ending key: %v, want ErrAPIKeyEnding", err)
	}
	// The ending key is no key without an end: b0 is the last one.
	if _, err := idv.RevokeAPIKey(ctx, s, tenant, "b0", now); !errors.Is(err, idv.ErrLastAPIKey) {
		t.Errorf("revoking the new key while the old one ends: %v, want ErrLastAPIKey", err)
	}
	// The ending key may be ended early.
	if k, err := idv.RevokeAPIKey(ctx, s, tenant, "a0", now.Add(time.Hour)); err != nil || !k.RevokedAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("ending a0 early: %+v, %v", k, err)
	}
	entries := len(s.audit)
	if k, err := idv.RevokeAPIKey(ctx, s, tenant, "a0", now.Add(2*time.Hour)); err != nil || !k.RevokedAt.Equal(now.Add(time.Hour)) ||
		len(s.audit) != entries {
		t.Errorf("revoking again: %+v, %v, %d entries (was %d)", k, err, len(s.audit), entries)
	}

	// Up to MaxLiveAPIKeys work at once; b0 is one.
	for i := 1; i < idv.MaxLiveAPIKeys; i++ {
		if _, err := idv.CreateAPIKey(ctx, s, tenant, idv.APIKey{ID: fmt.Sprintf("c%d", i)}, now.Add(2*time.Hour)); err != nil {
			t.Fatalf("key %d: %v", i+1, err)
		}
	}
	if _, err := idv.CreateAPIKey(ctx, s, tenant, idv.APIKey{ID: "cc"}, now.Add(2*time.Hour)); !errors.Is(err, idv.ErrAPIKeyLimit) {
		t.Errorf("key %d: %v, want ErrAPIKeyLimit", idv.MaxLiveAPIKeys+1, err)
	}
	if _, _, err := idv.RotateAPIKey(ctx, s, tenant, "b0", idv.APIKey{ID: "cc"}, time.Hour, now.Add(2*time.Hour)); !errors.Is(err, idv.ErrAPIKeyLimit) {
		t.Errorf("rotating with an overlap at the limit: %v, want ErrAPIKeyLimit", err)
	}
	if _, _, err := idv.RotateAPIKey(ctx, s, tenant, "b0", idv.APIKey{ID: "cc"}, 0, now.Add(2*time.Hour)); err != nil {
		t.Errorf("rotating without an overlap at the limit: %v", err)
	}

	for _, e := range s.audit {
		if err := e.Validate(); err != nil || e.Actor != idv.ActorOperator || e.TenantID != tenant || e.Detail["key_id"] == "" {
			t.Errorf("audit entry %+v: %v", e, err)
		}
	}
}
