package idv

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// A tenant's API keys over their life: created, listed, revoked and rotated
// (issue 17 point 4), by the tenant through the API and by the operator
// through the CLI. The services below decide; the store (postgres.Tenants)
// only locks the tenant's keys, hands them to the decision and makes the
// change it returns with its audit entry, in one transaction, so two
// revocations at once cannot both pass the last-key rule.
//
// A key ends when its RevokedAt has come: revoking sets it to now, rotating
// sets it to now plus the overlap, so the old key keeps working while the
// tenant rolls the new one out. Authentication refuses a key whose
// RevokedAt is at or before the API's clock (Live).

// Audit actions of API keys; the detail names key ids, never a secret.
const (
	AuditAPIKeyCreated = "api_key_created"
	AuditAPIKeyRevoked = "api_key_revoked"
	AuditAPIKeyRotated = "api_key_rotated"
)

// Limits of API keys.
const (
	// DefaultKeyOverlap is how long a rotated key keeps working when the
	// rotation names no overlap.
	DefaultKeyOverlap = 24 * time.Hour
	// MaxKeyOverlap is the longest overlap a rotation may ask for.
	MaxKeyOverlap = 7 * 24 * time.Hour
	// MaxLiveAPIKeys bounds a tenant's keys that still work (ending ones
	// included), so neither creating nor rotating grows them without end.
	MaxLiveAPIKeys = 20
)

// Refusals of the API-key services.
var (
	// ErrLastAPIKey: the change would leave the tenant without a key that
	// has no end, locking it out once the others end.
	ErrLastAPIKey = errors.New("the tenant's last API key without an end")
	// ErrAPIKeyEnding: the key is revoked, or already ending after a
	// rotation; it cannot be rotated again.
	ErrAPIKeyEnding = errors.New("API key revoked or already ending")
	// ErrAPIKeyLimit: the tenant already has MaxLiveAPIKeys keys that work.
	ErrAPIKeyLimit = errors.New("too many live API keys")
	// ErrKeyOverlap: a rotation's overlap outside 0..MaxKeyOverlap.
	ErrKeyOverlap = errors.New("overlap out of range")
)

// Live reports whether the key works at at: it has no end, or its end is
// still to come.
func (k APIKey) Live(at time.Time) bool { return k.RevokedAt == nil || at.Before(*k.RevokedAt) }

// Key states, as the API and the CLI show them.
const (
	APIKeyActive   = "active"   // no end
	APIKeyExpiring = "expiring" // works until RevokedAt (a rotation's overlap)
	APIKeyRevoked  = "revoked"  // no longer works
)

// State is the key's state at at: APIKeyActive, APIKeyExpiring or
// APIKeyRevoked.
func (k APIKey) State(at time.Time) string {
	switch {
	case k.RevokedAt == nil:
		return APIKeyActive
	case k.Live(at):
		return APIKeyExpiring
	default:
		return APIKeyRevoked
	}
}

// APIKeyStore keeps tenants' API keys (postgres.Tenants).
type APIKeyStore interface {
	// APIKeys lists the tenant's keys, revoked ones included, oldest
	// first, without their secrets' hashes.
	APIKeys(ctx context.Context, tenantID uuid.UUID) ([]APIKey, error)
	// ChangeAPIKeys locks the tenant's keys and passes them (without
	// hashes) to decide, then makes the change decide returns and appends
	// its audit entry, in one transaction. An error from decide changes
	// nothing; a zero change changes and records nothing.
	ChangeAPIKeys(ctx context.Context, tenantID uuid.UUID, decide func(keys []APIKey) (APIKeyChange, error)) error
}

// APIKeyChange is a change decided over a tenant's keys: a key to add,
// a key whose end to set, and the entry recording it.
type APIKeyChange struct {
	Add   *APIKey
	End   string    // the id of the key whose RevokedAt becomes EndAt; "" for none
	EndAt time.Time // when that key stops working
	Audit AuditEntry
}

// CreateAPIKey stores key (its id and secret hash, made by the caller,
// which shows the secret once) as a new key of the tenant at now,
// recorded as api_key_created with the actor ctx carries.
func CreateAPIKey(ctx context.Context, store APIKeyStore, tenantID uuid.UUID, key APIKey, now time.Time) (APIKey, error) {
	now = now.UTC().Truncate(time.Microsecond) // as stored
	key = APIKey{ID: key.ID, TenantID: tenantID, SecretHash: key.SecretHash, CreatedAt: now}
	err := store.ChangeAPIKeys(ctx, tenantID, func(keys []APIKey) (APIKeyChange, error) {
		if liveKeys(keys, now)+1 > MaxLiveAPIKeys {
			return APIKeyChange{}, fmt.Errorf("create API key: %d keys work: %w", MaxLiveAPIKeys, ErrAPIKeyLimit)
		}
		return APIKeyChange{Add: &key, Audit: keyAudit(ctx, tenantID, AuditAPIKeyCreated, now,
			map[string]string{"key_id": key.ID})}, nil
	})
	if err != nil {
		return APIKey{}, fmt.Errorf("tenant %s: %w", tenantID, err)
	}
	return key, nil
}

// RevokeAPIKey ends the tenant's key keyID at now, recorded as
// api_key_revoked; a key already ended is returned as it is, with nothing
// recorded. A key still ending after a rotation ends now. It refuses
// (ErrLastAPIKey) to revoke the tenant's last key without an end, and
// answers ErrNotFound for a key that is not the tenant's.
func RevokeAPIKey(ctx context.Context, store APIKeyStore, tenantID uuid.UUID, keyID string, now time.Time) (APIKey, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var out APIKey
	err := store.ChangeAPIKeys(ctx, tenantID, func(keys []APIKey) (APIKeyChange, error) {
		k, err := findKey(keys, keyID)
		if err != nil {
			return APIKeyChange{}, err
		}
		out = k
		if !k.Live(now) {
			return APIKeyChange{}, nil
		}
		if !otherWithoutEnd(keys, keyID) {
			return APIKeyChange{}, fmt.Errorf("revoke API key %s: %w", keyID, ErrLastAPIKey)
		}
		detail := map[string]string{"key_id": keyID}
		if k.RevokedAt != nil {
			detail["was_ending_at"] = k.RevokedAt.UTC().Format(time.RFC3339Nano)
		}
		out.RevokedAt = &now
		return APIKeyChange{End: keyID, EndAt: now, Audit: keyAudit(ctx, tenantID, AuditAPIKeyRevoked, now, detail)}, nil
	})
	if err != nil {
		return APIKey{}, fmt.Errorf("tenant %s: %w", tenantID, err)
	}
	return out, nil
}

// RotateAPIKey replaces the tenant's key keyID by next (made by the
// caller, as for CreateAPIKey): next works from now, and keyID until now +
// overlap (0 ends it at once; at most MaxKeyOverlap). It is recorded as
// api_key_rotated with both ids and the old key's end. A key that is
// revoked or already ending is refused with ErrAPIKeyEnding. It returns
// the old key, with its end, and the new one.
func RotateAPIKey(ctx context.Context, store APIKeyStore, tenantID uuid.UUID, keyID string, next APIKey,
	overlap time.Duration, now time.Time) (old, created APIKey, err error) {
	if overlap < 0 || overlap > MaxKeyOverlap {
		return APIKey{}, APIKey{}, fmt.Errorf("rotate API key %s: overlap %s, want 0 to %s: %w", keyID, overlap, MaxKeyOverlap, ErrKeyOverlap)
	}
	now = now.UTC().Truncate(time.Microsecond)
	end := now.Add(overlap)
	created = APIKey{ID: next.ID, TenantID: tenantID, SecretHash: next.SecretHash, CreatedAt: now}
	err = store.ChangeAPIKeys(ctx, tenantID, func(keys []APIKey) (APIKeyChange, error) {
		k, err := findKey(keys, keyID)
		if err != nil {
			return APIKeyChange{}, err
		}
		if k.RevokedAt != nil {
			return APIKeyChange{}, fmt.Errorf("rotate API key %s: it is %s: %w", keyID, k.State(now), ErrAPIKeyEnding)
		}
		live := liveKeys(keys, now)
		if overlap > 0 {
			live++ // the old key still works beside the new one
		}
		if live > MaxLiveAPIKeys {
			return APIKeyChange{}, fmt.Errorf("rotate API key %s: %d keys work: %w", keyID, MaxLiveAPIKeys, ErrAPIKeyLimit)
		}
		old = k
		old.RevokedAt = &end
		return APIKeyChange{Add: &created, End: keyID, EndAt: end, Audit: keyAudit(ctx, tenantID, AuditAPIKeyRotated, now,
			map[string]string{"key_id": keyID, "new_key_id": created.ID,
				"overlap_seconds": strconv.FormatInt(int64(overlap/time.Second), 10),
				"ends_at":         end.Format(time.RFC3339Nano)})}, nil
	})
	if err != nil {
		return APIKey{}, APIKey{}, fmt.Errorf("tenant %s: %w", tenantID, err)
	}
	return old, created, nil
}

func findKey(keys []APIKey, id string) (APIKey, error) {
	for _, k := range keys {
		if k.ID == id {
			return k, nil
		}
	}
	return APIKey{}, fmt.Errorf("API key %s: %w", id, ErrNotFound)
}

// liveKeys counts the keys that work at now.
func liveKeys(keys []APIKey, now time.Time) int {
	n := 0
	for _, k := range keys {
		if k.Live(now) {
			n++
		}
	}
	return n
}

// otherWithoutEnd reports whether a key other than id has no end.
func otherWithoutEnd(keys []APIKey, id string) bool {
	for _, k := range keys {
		if k.ID != id && k.RevokedAt == nil {
			return true
		}
	}
	return false
}

func keyAudit(ctx context.Context, tenantID uuid.UUID, action string, at time.Time, detail map[string]string) AuditEntry {
	return AuditEntry{TenantID: tenantID, At: at, Actor: ActorOf(ctx, ActorUnknown), Action: action, Detail: detail}
}
