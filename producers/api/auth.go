package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/infra/credential"
	"github.com/idv-oss/idv/infra/postgres"
)

type ctxKey int

const (
	tenantKey ctxKey = iota
	sessionKey
)

// customer authenticates a tenant API key and passes the tenant id on.
func (s *Server) customer(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		cred, err := bearer(r, credential.APIKey)
		if err != nil {
			return err
		}
		key, err := s.tenants.APIKey(r.Context(), cred.ID)
		if errors.Is(err, postgres.ErrNotFound) || (err == nil && !cred.Matches(key.SecretHash)) {
			return errUnauthorized
		}
		if err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), tenantKey, key.TenantID)))
	})
}

// app authenticates an app token: it reaches exactly the session it was
// issued for, until it expires.
func (s *Server) app(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		cred, err := bearer(r, credential.AppToken)
		if err != nil {
			return err
		}
		id, err := uuid.Parse(cred.ID)
		if err != nil {
			return errUnauthorized
		}
		sess, err := s.sessions.GetForApp(r.Context(), id)
		if errors.Is(err, postgres.ErrNotFound) || (err == nil && !cred.Matches(sess.AppTokenHash)) {
			return errUnauthorized
		}
		if err != nil {
			return err
		}
		if !s.now().Before(sess.AppTokenExpiresAt) {
			return errUnauthorized
		}
		if sess.Ended() {
			return errEnded
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), sessionKey, sess)))
	})
}

func bearer(r *http.Request, kind string) (credential.Credential, error) {
	text, ok := credential.FromBearer(r.Header.Get("Authorization"))
	if !ok {
		return credential.Credential{}, errUnauthorized
	}
	cred, err := credential.Parse(kind, text)
	if err != nil {
		return credential.Credential{}, errUnauthorized
	}
	return cred, nil
}

func tenantOf(r *http.Request) uuid.UUID { return r.Context().Value(tenantKey).(uuid.UUID) }

func sessionOf(r *http.Request) postgres.Session {
	return r.Context().Value(sessionKey).(postgres.Session)
}
