package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/producers/capturepage"
	"github.com/idv-oss/idv/schemas"
)

// capturePage serves the hosted capture page under /capture/. Its upload
// origin is the origin of a policy the object store signs — the same code
// that signs every upload, so virtual-host and path-style stores both come
// out right; signing needs no round trip, and a success is kept.
//
// Under /capture/t/{tenant_id}/ it serves the same page for a tenant that
// may frame it: the page's Content-Security-Policy then lets the tenant's
// embed origins (its policy's embed_origins) frame it, where /capture/
// lets nobody (frame-ancestors 'none', as for a tenant that lists none,
// or an id no tenant has: the answer tells them apart to nobody).
func (s *Server) capturePage() http.Handler {
	var (
		mu     sync.Mutex
		origin string
	)
	page := capturepage.Handler("/capture/", func(ctx context.Context) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if origin != "" {
			return origin, nil
		}
		p, err := s.objects.PresignPost(ctx, "capture-page/origin", 1, 1, time.Minute)
		if err != nil {
			return "", err
		}
		o, err := capturepage.OriginOf(p.URL)
		if err != nil {
			return "", err
		}
		origin = o
		return origin, nil
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, "/capture/logo/"); ok {
			s.serveLogo(w, r, rest)
			return
		}
		rest, ok := strings.CutPrefix(r.URL.Path, "/capture/t/")
		if !ok {
			page.ServeHTTP(w, r)
			return
		}
		id, file, ok := strings.Cut(rest, "/")
		tenantID, err := uuid.Parse(id)
		if !ok || err != nil || id != tenantID.String() {
			http.NotFound(w, r)
			return
		}
		inner := r.Clone(r.Context())
		inner.URL.Path, inner.URL.RawPath = "/capture/"+file, ""
		if file != "" && file != "index.html" {
			page.ServeHTTP(w, inner) // framing concerns the page, not its files
			return
		}
		page.ServeHTTP(&framedBy{ResponseWriter: w, origins: s.embedOrigins(r.Context(), tenantID)}, inner)
	})
}

// embedOrigins are the origins tenant id lets frame the capture page; none
// when it lists none, is unknown, or cannot be read now (the page is then
// served unframeable, never the other way round).
func (s *Server) embedOrigins(ctx context.Context, id uuid.UUID) []string {
	t, err := s.tenants.Get(ctx, id)
	if err != nil {
		if !errors.Is(err, idv.ErrNotFound) {
			s.log.WarnContext(ctx, "capture page: tenant unreadable, page served unframeable", "tenant_id", id, "err", err)
		}
		return nil
	}
	return t.Policy.EmbedOrigins
}

// framedBy writes the page with its Content-Security-Policy's
// frame-ancestors naming origins instead of 'none' (none: left as it is).
// The origins are those schemas.ValidateOrigin accepted: one https origin
// each, nothing that could end the directive.
type framedBy struct {
	http.ResponseWriter
	origins []string
	done    bool
}

func (w *framedBy) rewrite() {
	if w.done {
		return
	}
	w.done = true
	h := w.Header()
	if csp := h.Get("Content-Security-Policy"); csp != "" && len(w.origins) > 0 {
		h.Set("Content-Security-Policy", strings.Replace(csp, "frame-ancestors 'none'", "frame-ancestors "+strings.Join(w.origins, " "), 1))
	}
}

func (w *framedBy) WriteHeader(code int) {
	w.rewrite()
	w.ResponseWriter.WriteHeader(code)
}

func (w *framedBy) Write(b []byte) (int, error) {
	w.rewrite()
	return w.ResponseWriter.Write(b)
}

// captureURL is the link to the capture page for an app token, with the
// token in the fragment (never sent to a server); empty without a public
// base URL.
func (s *Server) captureURL(token string) string {
	if s.cfg.PublicURL == "" {
		return ""
	}
	return strings.TrimRight(s.cfg.PublicURL, "/") + "/capture/#token=" + url.QueryEscape(token)
}

// consentBody is what the capture page (or any app) shows the person before
// anything is captured: who asks (the controller) and how to reach it, why
// (the purpose its policy sets), which checks run, which fields the
// customer may receive, how long IDV keeps the data, the controller's
// privacy notice, and which requests about their data the person may send
// from the page (POST /v1/app/session/dsr).
type consentBody struct {
	TenantName        string   `json:"tenant_name"`
	Checks            []string `json:"checks"`
	Fields            []string `json:"fields"`
	RetentionDays     int      `json:"retention_days"`
	Purpose           string   `json:"purpose"`
	ControllerContact string   `json:"controller_contact"`
	PrivacyNoticeURL  string   `json:"privacy_notice_url"`
	Requests          []string `json:"requests"`
	// ReturnURLs are the customer's pages the app may send the person back
	// to at the end: the page offers the one its link names (#return=…)
	// when listed here exactly, or the only one listed.
	ReturnURLs []string `json:"return_urls"`
	// The customer's branding: the name the page's header shows, its
	// colour (#rrggbb, AA contrast checked when set) and its logo's path
	// beside the page; "" for none.
	DisplayName string `json:"display_name"`
	BrandColour string `json:"brand_colour"`
	LogoURL     string `json:"logo_url"`
}

// pageRequests are the requests the page offers the person: a copy of
// their data, and its erasure (schemas.DSRKinds has them all).
var pageRequests = []string{schemas.DSRAccess, schemas.DSRErasure}

func (s *Server) consentOf(ctx context.Context, sess idv.Session) (consentBody, error) {
	t, err := s.tenants.Get(ctx, sess.TenantID)
	if err != nil {
		return consentBody{}, err
	}
	fields := t.Policy.Fields
	if fields == nil {
		fields = []string{}
	}
	requests := []string{}
	if s.duties.DSRs != nil {
		requests = pageRequests
	}
	logo, err := s.logoURL(ctx, t.ID)
	if err != nil {
		return consentBody{}, err
	}
	p := t.Policy
	return consentBody{DisplayName: p.DisplayName, BrandColour: p.BrandColour, LogoURL: logo, TenantName: t.Name, Checks: append([]string{}, sess.Checks...), Fields: fields,
		RetentionDays: sess.RetentionDays, Purpose: p.Purpose, ControllerContact: p.ControllerContact,
		PrivacyNoticeURL: p.PrivacyNoticeURL, Requests: requests, ReturnURLs: orNone(p.ReturnURLs)}, nil
}

// orNone is list, or an empty list for nil (JSON [] rather than null).
func orNone(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// logoURL is the path of the tenant's logo beside the page; "" for none.
func (s *Server) logoURL(ctx context.Context, tenantID uuid.UUID) (string, error) {
	store := s.logos()
	if store == nil {
		return "", nil
	}
	sum, err := store.LogoSum(ctx, tenantID)
	if errors.Is(err, idv.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return logoPath(idv.Logo{TenantID: tenantID, SHA256: sum}), nil
}
