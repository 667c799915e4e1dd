package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/credential"
)

type ctxKey int

const (
	tenantKey ctxKey = iota
	tenantRecordKey
	apiKeyKey
	sessionKey
)

// customer authenticates a tenant API key and passes the tenant id, the
// tenant as read with the key and the key id on; the key id is also the
// actor of the audit entries the request causes.
func (s *Server) customer(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		cred, err := bearer(r, credential.APIKey)
		if err != nil {
			return err
		}
		key, tenant, err := s.tenants.KeyAndTenant(r.Context(), cred.ID)
		if errors.Is(err, idv.ErrNotFound) || (err == nil && (!cred.Matches(key.SecretHash) || !key.Live(s.now()))) {
			return errUnauthorized
		}
		if err != nil {
			return err
		}
		if key.Offboarding {
			return errOffboarding
		}
		if err := s.tenantLimit.limit(w, key.TenantID.String()); err != nil {
			return err
		}
		ctx := context.WithValue(r.Context(), tenantKey, key.TenantID)
		ctx = context.WithValue(ctx, tenantRecordKey, tenant)
		ctx = context.WithValue(ctx, apiKeyKey, key.ID)
		ctx = idv.WithActor(ctx, idv.ActorAPIKey(key.ID))
		return h(w, r.WithContext(ctx))
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
		if errors.Is(err, idv.ErrNotFound) {
			return errUnauthorized
		}
		if err != nil {
			return err
		}
		if err := s.appTokenOf(r.Context(), sess, cred); err != nil {
			return err
		}
		if !s.now().Before(sess.AppTokenExpiresAt) {
			return errUnauthorized
		}
		if sess.Ended() {
			return errEnded
		}
		if err := s.appLimit.limit(w, sess.ID.String()); err != nil {
			return err
		}
		ctx := context.WithValue(r.Context(), sessionKey, sess)
		ctx = idv.WithActor(ctx, idv.ActorAppToken(sess.ID))
		return h(w, r.WithContext(ctx))
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

// tenantRecordOf is the customer's tenant as read with its API key, at the
// start of the request: its policy is the one the request acts on.
func tenantRecordOf(r *http.Request) idv.Tenant {
	return r.Context().Value(tenantRecordKey).(idv.Tenant)
}

// apiKeyOf is the id of the API key the customer request was made with.
func apiKeyOf(r *http.Request) string { return r.Context().Value(apiKeyKey).(string) }

func sessionOf(r *http.Request) idv.Session {
	return r.Context().Value(sessionKey).(idv.Session)
}

// appTokenOf checks that cred is an app token of sess: the session's own,
// or one a hand-off code gave to a second device.
func (s *Server) appTokenOf(ctx context.Context, sess idv.Session, cred credential.Credential) error {
	if cred.Matches(sess.AppTokenHash) {
		return nil
	}
	ok, err := s.sessions.HandoffToken(ctx, sess.ID, cred.Hash())
	if err != nil {
		return err
	}
	if !ok {
		return errUnauthorized
	}
	return nil
}
