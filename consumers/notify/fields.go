package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/capture"
	"github.com/idv-oss/idv/seal"
)

// FieldOpener opens a session's policy-allowed fields for a full
// session.decided webhook, recording the read; nil fields when none can be
// had (none stored, or the session already wiped): the webhook goes thin.
type FieldOpener interface {
	OpenFields(ctx context.Context, tenantID, sessionID uuid.UUID, allowed []string, webhookID string) (map[string]any, error)
}

// SessionKeys reads and opens sessions' keys.
type SessionKeys interface {
	Key(ctx context.Context, tenantID, id uuid.UUID) (idv.WrappedKey, error)
}

// KeyUnwrapper opens a wrapped session key (vault.Vault).
type KeyUnwrapper interface {
	Unwrap(ctx context.Context, k idv.WrappedKey) (*seal.SessionKey, error)
}

// ResultLister lists a session's check results.
type ResultLister interface {
	List(ctx context.Context, tenantID, sessionID uuid.UUID) ([]idv.Result, error)
}

// AuditRecorder records an audit entry (postgres.Audit).
type AuditRecorder interface {
	Record(ctx context.Context, e idv.AuditEntry) error
}

// Fields is the FieldOpener over the stores and the vault.
type Fields struct {
	Sessions SessionKeys
	Keys     KeyUnwrapper
	Results  ResultLister
	Audit    AuditRecorder
}

// OpenFields opens the fields the checks sealed, keeps those the policy
// allows now, and records personal_data_read (actor system:notify, with the
// webhook id) before returning them: every attempt that sends them is on
// record.
func (f Fields) OpenFields(ctx context.Context, tenantID, sessionID uuid.UUID, allowed []string, webhookID string) (map[string]any, error) {
	results, err := f.Results.List(ctx, tenantID, sessionID)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(results, func(r idv.Result) bool { return r.FieldsSealed != nil }) {
		return nil, nil
	}
	key, err := capture.SessionKey(ctx, f.Sessions, f.Keys, tenantID, sessionID)
	if errors.Is(err, capture.ErrKeyGone) {
		return nil, nil // wiped: nothing to send
	}
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	fields := map[string]any{}
	for _, r := range results {
		if r.FieldsSealed == nil {
			continue
		}
		plain, err := seal.Open(key, seal.FieldsInfo(sessionID, r.Check), r.FieldsSealed)
		if err != nil {
			return nil, fmt.Errorf("notify: open fields of %s %s: %w", sessionID, r.Check, err)
		}
		var got map[string]any
		err = json.Unmarshal(plain, &got)
		clear(plain)
		if err != nil {
			return nil, fmt.Errorf("notify: decode fields of %s %s: %w", sessionID, r.Check, err)
		}
		for name, v := range got {
			if slices.Contains(allowed, name) {
				fields[name] = v
			}
		}
	}
	if len(fields) == 0 {
		return nil, nil
	}
	if err := f.Audit.Record(ctx, idv.AuditEntry{TenantID: tenantID, Actor: idv.ActorNotify,
		Action: idv.AuditPersonalDataRead, SessionID: sessionID,
		Detail: map[string]string{"fields": strings.Join(slices.Sorted(maps.Keys(fields)), ","), "webhook_id": webhookID}}); err != nil {
		return nil, fmt.Errorf("notify: record read of %s: %w", sessionID, err)
	}
	return fields, nil
}
