package postgres_test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/schemas"
)

// newKeyTenant stores a tenant with its first API key and returns both.
func newKeyTenant(t *testing.T, db *sqlx.DB) (uuid.UUID, idv.APIKey) {
	t.Helper()
	id := uuid.New()
	key := newAPIKey()
	key.TenantID = id
	err := postgres.NewTenants(db.DB).Create(t.Context(), idv.Tenant{ID: id, Name: "Tenant " + id.String()[:8],
		RetentionDays: 7, WebhookURL: "https://hooks.example.test/idv", WebhookSecretSealed: []byte("sealed"),
		Policy: schemas.DefaultPolicy()}, key)
	if err != nil {
		t.Fatal(err)
	}
	return id, key
}

// newAPIKey is a key as a caller mints it: a hex id and a secret's hash.
func newAPIKey() idv.APIKey {
	id := make([]byte, 8)
	hash := make([]byte, 32)
	rand.Read(id)
	rand.Read(hash)
	return idv.APIKey{ID: hex.EncodeToString(id), SecretHash: hash}
}

// TestAPIKeyStore: keys created, rotated and revoked through the core's
// services over the store: the lookup returns each key with its end (and
// the hash, which the list never does), the changes are in the tenant's
// audit chain with ids only, and another tenant's scope neither sees nor
// changes them.
func TestAPIKeyStore(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t, schemas.MainMigrations())
	tenants := postgres.NewTenants(db.DB)
	ctx := idv.WithActor(t.Context(), idv.ActorOperator)
	a, first := newKeyTenant(t, db)
	b, theirs := newKeyTenant(t, db)
	now := time.Now().UTC().Truncate(time.Microsecond)

	second := newAPIKey()
	if _, err := idv.CreateAPIKey(ctx, tenants, a, second, now); err != nil {
		t.Fatal(err)
	}
	third := newAPIKey()
	old, created, err := idv.RotateAPIKey(ctx, tenants, a, first.ID, third, time.Hour, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if end := now.Add(time.Minute + time.Hour); old.RevokedAt == nil || !old.RevokedAt.Equal(end) || created.ID != third.ID {
		t.Fatalf("rotation: old %+v, new %+v; want the old key ending at %s", old, created, end)
	}
	stored, err := tenants.APIKey(ctx, first.ID)
	if err != nil || stored.RevokedAt == nil || !stored.RevokedAt.Equal(*old.RevokedAt) ||
		hex.EncodeToString(stored.SecretHash) != hex.EncodeToString(first.SecretHash) {
		t.Fatalf("lookup of the rotated key: %+v, %v", stored, err)
	}
	if !stored.Live(now.Add(time.Hour)) || stored.Live(*old.RevokedAt) {
		t.Errorf("the rotated key should work until, and not at, %s", old.RevokedAt)
	}
	if k, err := tenants.APIKey(ctx, third.ID); err != nil || k.RevokedAt != nil || k.TenantID != a ||
		!k.CreatedAt.Equal(now.Add(time.Minute)) {
		t.Errorf("lookup of the new key: %+v, %v", k, err)
	}
	if _, err := idv.RevokeAPIKey(ctx, tenants, a, second.ID, now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}

	keys, err := tenants.APIKeys(ctx, a)
	if err != nil || len(keys) != 3 {
		t.Fatalf("list: %+v, %v; want 3 keys", keys, err)
	}
	states := map[string]string{}
	for _, k := range keys {
		if k.SecretHash != nil {
			t.Errorf("the list read the hash of %s", k.ID)
		}
		states[k.ID] = k.State(now.Add(3 * time.Minute))
	}
	if states[first.ID] != idv.APIKeyExpiring || states[second.ID] != idv.APIKeyRevoked || states[third.ID] != idv.APIKeyActive {
		t.Errorf("states: %v", states)
	}

	// Tenant B's scope sees none of A's keys and cannot change them.
	if keys, err := tenants.APIKeys(ctx, b); err != nil || len(keys) != 1 || keys[0].ID != theirs.ID {
		t.Errorf("tenant B's keys: %+v, %v", keys, err)
	}
	if _, err := idv.RevokeAPIKey(ctx, tenants, b, third.ID, now); !errors.Is(err, idv.ErrNotFound) {
		t.Errorf("revoking A's key as B: %v, want not found", err)
	}
	if _, _, err := idv.RotateAPIKey(ctx, tenants, b, third.ID, newAPIKey(), 0, now); !errors.Is(err, idv.ErrNotFound) {
		t.Errorf("rotating A's key as B: %v, want not found", err)
	}
	if k, _ := tenants.APIKey(ctx, third.ID); k.RevokedAt != nil {
		t.Errorf("A's key was changed from B's scope: %+v", k)
	}

	audit := postgres.NewAudit(db.DB)
	evs, err := audit.List(ctx, a, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ action, key, other string }{
		{idv.AuditAPIKeyCreated, second.ID, ""},
		{idv.AuditAPIKeyRotated, first.ID, third.ID},
		{idv.AuditAPIKeyRevoked, second.ID, ""},
	}
	if len(evs) != len(want) {
		t.Fatalf("audit entries: %+v, want %d", evs, len(want))
	}
	for i, w := range want {
		e := evs[i]
		if e.Action != w.action || e.Actor != idv.ActorOperator || e.Detail["key_id"] != w.key || e.Detail["new_key_id"] != w.other {
			t.Errorf("audit entry %d: %+v, want %s of %s", i, e, w.action, w.key)
		}
	}
	if evs[1].Detail["overlap_seconds"] != "3600" {
		t.Errorf("rotation entry: %+v", evs[1].Detail)
	}
	if n, err := audit.Verify(ctx, a); err != nil || n != 3 {
		t.Errorf("verify: %d entries, %v", n, err)
	}
	if evs, _ := audit.List(ctx, b, 0, 100); len(evs) != 0 {
		t.Errorf("tenant B's audit log has A's key changes: %+v", evs)
	}
}

// TestAPIKeyRevocationsAtOnce: two revocations at the same time of a
// tenant's only two keys cannot both pass the last-key rule: the store
// holds the tenant's keys while each decides.
func TestAPIKeyRevocationsAtOnce(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t, schemas.MainMigrations())
	tenants := postgres.NewTenants(db.DB)
	ctx := t.Context()
	a, first := newKeyTenant(t, db)
	second := newAPIKey()
	now := time.Now()
	if _, err := idv.CreateAPIKey(ctx, tenants, a, second, now); err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, id := range []string{first.ID, second.ID} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = idv.RevokeAPIKey(ctx, tenants, a, id, now)
			}()
		}
		wg.Wait()
		ok, last := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, idv.ErrLastAPIKey):
				last++
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if ok != 1 || last != 1 {
			t.Fatalf("round %d: %v; want one revoked and one refused as the last key", round, errs)
		}
		// Back to two keys without an end for the next round.
		keys, _ := tenants.APIKeys(ctx, a)
		live := 0
		for _, k := range keys {
			if k.RevokedAt == nil {
				live++
			}
		}
		if live != 1 {
			t.Fatalf("round %d: %d keys without an end, want 1", round, live)
		}
		next := newAPIKey()
		if _, err := idv.CreateAPIKey(ctx, tenants, a, next, now); err != nil {
			t.Fatal(err)
		}
		if errs[0] == nil {
			first = next
		} else {
			second = next
		}
	}
}
