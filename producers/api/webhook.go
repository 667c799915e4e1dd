package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// The tenant's webhook endpoint (issue 17 point 4): it reads it, changes
// its URL (checked by idv.CheckWebhookURL, the rule of registration plus
// the address rules the notifier applies at connect time) and rotates its
// secret. The new secret is in the rotation's answer and nowhere else; the
// rotated-out one keeps signing deliveries beside it for the overlap. Every
// change is in the tenant's audit log with the calling key as actor.

// Webhooks reads and changes tenants' webhook endpoints (postgres.Tenants).
type Webhooks interface {
	Webhook(ctx context.Context, id uuid.UUID, now time.Time) (idv.WebhookEndpoint, error)
	ChangeWebhookURL(ctx context.Context, id uuid.UUID, url string, now time.Time) (bool, error)
	RotateWebhookSecret(ctx context.Context, id uuid.UUID, sealed []byte, overlap time.Duration, now time.Time) (time.Time, error)
}

// SecretSealer seals a new webhook secret (vault.Vault).
type SecretSealer interface {
	SealSecret(tenantID uuid.UUID, purpose string, secret []byte) ([]byte, error)
}

// webhookRoutes adds the webhook endpoint routes to mux.
func (s *Server) webhookRoutes(mux *http.ServeMux) {
	mux.Handle("GET /v1/webhook", s.customer(s.getWebhook))
	mux.Handle("PUT /v1/webhook", s.customer(s.putWebhook))
	mux.Handle("POST /v1/webhook/secret/rotate", s.customer(s.rotateWebhookSecret))
}

// webhookBody is the endpoint as shown: never a secret, and of a refused
// delivery only when and why (a code), never the address a name resolved to.
type webhookBody struct {
	URL           string     `json:"url"`
	Disabled      bool       `json:"disabled"`
	Overlap       bool       `json:"secret_overlap"`
	OverlapUntil  *time.Time `json:"secret_overlap_until"`
	LastRefusedAt *time.Time `json:"last_refused_at"`
	LastRefusal   *string    `json:"last_refusal"`
}

func toWebhookBody(e idv.WebhookEndpoint) webhookBody {
	b := webhookBody{URL: e.URL, Disabled: e.DisabledAt != nil, Overlap: e.OverlapUntil != nil, OverlapUntil: e.OverlapUntil,
		LastRefusedAt: e.LastRefusedAt}
	if e.LastRefusal != "" {
		b.LastRefusal = &e.LastRefusal
	}
	return b
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	e, err := s.tenants.Webhook(r.Context(), tenantOf(r), s.now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toWebhookBody(e))
	return nil
}

// putWebhook points the tenant's webhooks at a new URL (and re-enables an
// endpoint a 410 disabled). The same URL changes nothing.
func (s *Server) putWebhook(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		URL string `json:"url"`
	}
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	if err := idv.CheckWebhookURL(req.URL, s.cfg.AllowPrivateWebhooks); err != nil {
		// The message names the rule, never the URL.
		return apiErr(http.StatusUnprocessableEntity, "invalid_webhook_url", "%s", err).with("field", "url")
	}
	now := s.now()
	changed, err := s.tenants.ChangeWebhookURL(r.Context(), tenantOf(r), req.URL, now)
	if err != nil {
		return err
	}
	if changed {
		s.log.InfoContext(r.Context(), "webhook url changed", "tenant_id", tenantOf(r))
	}
	e, err := s.tenants.Webhook(r.Context(), tenantOf(r), now)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toWebhookBody(e))
	return nil
}

// rotatedSecretBody is the new secret, shown this once.
type rotatedSecretBody struct {
	WebhookSecret string `json:"webhook_secret"`
	// OldSecretEndsAt is when the rotated-out secret stops signing.
	OldSecretEndsAt time.Time `json:"old_secret_ends_at"`
}

// rotateWebhookSecret makes a new secret; the old one signs beside it for
// overlap_seconds (default idv.DefaultWebhookSecretOverlap).
func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		OverlapSeconds *int64 `json:"overlap_seconds"`
	}
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	overlap, err := overlapOf(req.OverlapSeconds, idv.DefaultWebhookSecretOverlap, idv.MaxWebhookSecretOverlap)
	if err != nil {
		return err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("webhook secret: %w", err)
	}
	tenantID := tenantOf(r)
	sealed, err := s.keys.SealSecret(tenantID, schemas.WebhookSecretPurpose, secret)
	if err != nil {
		return fmt.Errorf("webhook secret: seal: %w", err)
	}
	until, err := s.tenants.RotateWebhookSecret(r.Context(), tenantID, sealed, overlap, s.now())
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "webhook secret rotated", "tenant_id", tenantID)
	writeJSON(w, http.StatusCreated, rotatedSecretBody{
		WebhookSecret:   schemas.WebhookSecretPrefix + base64.StdEncoding.EncodeToString(secret),
		OldSecretEndsAt: until.UTC()})
	return nil
}
