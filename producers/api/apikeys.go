package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/credential"
)

// The tenant's own API keys (issue 17 point 4): it creates, lists,
// revokes and rotates them with a key it holds. A new key's text is in the
// answer that made it and nowhere else; a listing shows ids and a display
// prefix, never a secret or its hash. Every change is in the tenant's
// audit log with the calling key as actor (idv.CreateAPIKey and the
// others). No "last used": recording it would write a row on every
// authenticated request.

var (
	errKeyNotFound = apiErr(http.StatusNotFound, "api_key_not_found", "no API key of this tenant has that id")
	errLastKey     = apiErr(http.StatusConflict, "last_key",
		"the tenant must keep an API key without an end: create or rotate to a new key before revoking this one")
	errKeyLimit = apiErr(http.StatusConflict, "api_key_limit",
		"the tenant already has %d API keys that work: revoke one first", idv.MaxLiveAPIKeys)
)

// apiKeyRoutes adds the API-key routes to mux.
func (s *Server) apiKeyRoutes(mux *http.ServeMux) {
	mux.Handle("GET /v1/api-keys", s.customer(s.listAPIKeys))
	mux.Handle("POST /v1/api-keys", s.customer(s.createAPIKey))
	mux.Handle("DELETE /v1/api-keys/{id}", s.customer(s.revokeAPIKey))
	mux.Handle("POST /v1/api-keys/{id}/rotate", s.customer(s.rotateAPIKey))
}

// apiKeyBody is a key as the API shows it.
type apiKeyBody struct {
	ID        string     `json:"id"`
	Prefix    string     `json:"prefix"`
	State     string     `json:"state"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// keyPrefix is how a key is shown once made: the leading characters of
// its text, up to the secret (idv_sk_<key id>), which tell it apart in a
// customer's configuration and reveal nothing of the secret.
func keyPrefix(keyID string) string { return credential.APIKey + "_" + keyID }

func toAPIKeyBody(k idv.APIKey, now time.Time) apiKeyBody {
	b := apiKeyBody{ID: k.ID, Prefix: keyPrefix(k.ID), State: k.State(now), CreatedAt: k.CreatedAt.UTC()}
	if k.RevokedAt != nil {
		at := k.RevokedAt.UTC()
		b.RevokedAt = &at
	}
	return b
}

// createdAPIKeyBody is a new key with its text, shown this once.
type createdAPIKeyBody struct {
	APIKey string `json:"api_key"`
	apiKeyBody
}

type apiKeysBody struct {
	APIKeys []apiKeyBody `json:"api_keys"`
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	keys, err := s.tenants.APIKeys(r.Context(), tenantOf(r))
	if err != nil {
		return err
	}
	now := s.now()
	body := apiKeysBody{APIKeys: make([]apiKeyBody, 0, len(keys))}
	for _, k := range keys {
		body.APIKeys = append(body.APIKeys, toAPIKeyBody(k, now))
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// createAPIKey makes a new key of the caller's tenant; the body, if any,
// is an empty object.
func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	var req struct{}
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	cred, err := credential.New(credential.APIKey, credential.NewID(8))
	if err != nil {
		return fmt.Errorf("api key: %w", err)
	}
	now := s.now()
	k, err := idv.CreateAPIKey(r.Context(), s.tenants, tenantOf(r), idv.APIKey{ID: cred.ID, SecretHash: cred.Hash()}, now)
	if err != nil {
		return keyErr(err)
	}
	s.log.InfoContext(r.Context(), "api key created", "tenant_id", k.TenantID, "key_id", k.ID)
	writeJSON(w, http.StatusCreated, createdAPIKeyBody{APIKey: cred.String(), apiKeyBody: toAPIKeyBody(k, now)})
	return nil
}

// revokeAPIKey ends the key now; revoking an ended key answers it as it is.
func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	now := s.now()
	k, err := idv.RevokeAPIKey(r.Context(), s.tenants, tenantOf(r), r.PathValue("id"), now)
	if err != nil {
		return keyErr(err)
	}
	s.log.InfoContext(r.Context(), "api key revoked", "tenant_id", k.TenantID, "key_id", k.ID)
	writeJSON(w, http.StatusOK, toAPIKeyBody(k, now))
	return nil
}

type rotateRequest struct {
	// OverlapSeconds is how long the old key keeps working; nil is
	// idv.DefaultKeyOverlap.
	OverlapSeconds *int64 `json:"overlap_seconds"`
}

type rotatedBody struct {
	NewKey createdAPIKeyBody `json:"new_key"`
	OldKey apiKeyBody        `json:"old_key"`
}

// rotateAPIKey makes a new key that replaces {id}: {id} keeps working for
// the overlap, then ends by itself.
func (s *Server) rotateAPIKey(w http.ResponseWriter, r *http.Request) error {
	var req rotateRequest
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	overlap, err := overlapOf(req.OverlapSeconds, idv.DefaultKeyOverlap, idv.MaxKeyOverlap)
	if err != nil {
		return err
	}
	cred, err := credential.New(credential.APIKey, credential.NewID(8))
	if err != nil {
		return fmt.Errorf("api key: %w", err)
	}
	now := s.now()
	old, k, err := idv.RotateAPIKey(r.Context(), s.tenants, tenantOf(r), r.PathValue("id"),
		idv.APIKey{ID: cred.ID, SecretHash: cred.Hash()}, overlap, now)
	if err != nil {
		return keyErr(err)
	}
	s.log.InfoContext(r.Context(), "api key rotated", "tenant_id", k.TenantID, "key_id", old.ID, "new_key_id", k.ID)
	writeJSON(w, http.StatusCreated, rotatedBody{
		NewKey: createdAPIKeyBody{APIKey: cred.String(), apiKeyBody: toAPIKeyBody(k, now)},
		OldKey: toAPIKeyBody(old, now)})
	return nil
}

// keyErr answers the API-key services' refusals; anything else passes on.
func keyErr(err error) error {
	switch {
	case errors.Is(err, idv.ErrNotFound):
		return errKeyNotFound
	case errors.Is(err, idv.ErrLastAPIKey):
		return errLastKey
	case errors.Is(err, idv.ErrAPIKeyLimit):
		return errKeyLimit
	case errors.Is(err, idv.ErrAPIKeyEnding):
		return apiErr(http.StatusConflict, "api_key_revoked", "the key is revoked or already ending after a rotation: rotate the key that replaced it")
	}
	return err
}

// overlapOf reads a rotation's overlap_seconds: def when absent, 0..max
// otherwise (422 invalid_overlap beyond).
func overlapOf(seconds *int64, def, max time.Duration) (time.Duration, error) {
	if seconds == nil {
		return def, nil
	}
	if *seconds < 0 || *seconds > int64(max/time.Second) {
		return 0, apiErr(http.StatusUnprocessableEntity, "invalid_overlap", "overlap_seconds must be 0 to %d",
			int64(max/time.Second)).with("field", "overlap_seconds")
	}
	return time.Duration(*seconds) * time.Second, nil
}
