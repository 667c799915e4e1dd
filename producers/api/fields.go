package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/vault"
)

// openFields opens the policy-allowed fields the checks stored, sealed, for
// this response only, and filters them again by the tenant's current policy
// (it may have narrowed since). Every such read is logged with ids.
func (s *Server) openFields(r *http.Request, sess postgres.Session, results []postgres.Result) (map[string]any, error) {
	fields := map[string]any{}
	if sess.Ended() || !slices.ContainsFunc(results, func(res postgres.Result) bool { return res.FieldsSealed != nil }) {
		return fields, nil
	}
	tenant, err := s.tenants.Get(r.Context(), sess.TenantID)
	if err != nil {
		return nil, err
	}
	k, err := s.sessions.Key(r.Context(), sess.TenantID, sess.ID)
	if err != nil {
		return nil, err
	}
	key, err := s.keys.Unwrap(r.Context(), vault.WrappedKey{TenantID: k.TenantID, SessionID: k.SessionID,
		Epoch: k.Epoch, PublicKey: k.PublicKey, Wrapped: k.WrappedKey})
	if err != nil {
		return nil, fmt.Errorf("open fields of %s: %w", sess.ID, err)
	}
	for _, res := range results {
		if res.FieldsSealed == nil {
			continue
		}
		plain, err := vault.Open(key, vault.FieldsInfo(sess.ID, res.Check), res.FieldsSealed)
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
	s.log.InfoContext(r.Context(), "personal data read", "tenant_id", sess.TenantID, "session_id", sess.ID, "fields", len(fields))
	return fields, nil
}
