package api

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/seal"
)

// sealedFields reports whether results hold fields openFields would open.
func sealedFields(sess idv.Session, results []idv.Result) bool {
	return !sess.Ended() && slices.ContainsFunc(results, func(res idv.Result) bool { return res.FieldsSealed != nil })
}

// openFields opens the policy-allowed fields the checks stored, sealed to
// the session's key (wrapped, read with the results), for this response
// only, and filters them again by the tenant's current policy (it may have
// narrowed since). Every such read is recorded in the audit log (which
// fields, by which API key) before the fields are returned.
func (s *Server) openFields(r *http.Request, sess idv.Session, results []idv.Result, wrapped idv.WrappedKey) (map[string]any, error) {
	fields := map[string]any{}
	if !sealedFields(sess, results) {
		return fields, nil
	}
	tenant := tenantRecordOf(r)
	key, err := s.unwrap(r, sess, wrapped)
	if err != nil {
		return nil, err
	}
	for _, res := range results {
		if res.FieldsSealed == nil {
			continue
		}
		plain, err := seal.Open(key, seal.FieldsInfo(sess.ID, res.Check), res.FieldsSealed)
		if err != nil {
			return nil, fmt.Errorf("open fields of %s %s: %w", sess.ID, res.Check, err)
		}
		var got map[string]any
		err = json.Unmarshal(plain, &got)
		clear(plain)
		if err != nil {
			return nil, fmt.Errorf("decode fields of %s %s: %w", sess.ID, res.Check, err)
		}
		for name, v := range got {
			if slices.Contains(tenant.Policy.Fields, name) {
				fields[name] = v
			}
		}
	}
	// On record before anything leaves (docs/design.md invariant 6): a read that
	// cannot be recorded is not answered.
	names := slices.Sorted(maps.Keys(fields))
	if err := s.audit.Record(r.Context(), idv.AuditEntry{TenantID: sess.TenantID, At: s.now(),
		Actor: idv.ActorAPIKey(apiKeyOf(r)), Action: idv.AuditPersonalDataRead, SessionID: sess.ID,
		Detail: map[string]string{"fields": strings.Join(names, ",")}}); err != nil {
		return nil, fmt.Errorf("record read of %s: %w", sess.ID, err)
	}
	s.log.InfoContext(r.Context(), "personal data read", "tenant_id", sess.TenantID, "session_id", sess.ID, "fields", len(fields))
	return fields, nil
}

// sessionKey unwraps the session's key, for opening what was sealed to it.
func (s *Server) sessionKey(r *http.Request, sess idv.Session) (*seal.SessionKey, error) {
	k, err := s.sessions.Key(r.Context(), sess.TenantID, sess.ID)
	if err != nil {
		return nil, err
	}
	return s.unwrap(r, sess, k)
}

// unwrap unwraps the session's key k with the vault.
func (s *Server) unwrap(r *http.Request, sess idv.Session, k idv.WrappedKey) (*seal.SessionKey, error) {
	key, err := s.keys.Unwrap(r.Context(), k)
	if err != nil {
		return nil, fmt.Errorf("unwrap key of %s: %w", sess.ID, err)
	}
	return key, nil
}
