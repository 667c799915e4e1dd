package api

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/producers/capturepage"
)

// capturePage serves the hosted capture page under /capture/. Its upload
// origin is the origin of a policy the object store signs — the same code
// that signs every upload, so virtual-host and path-style stores both come
// out right; signing needs no round trip, and a success is kept.
func (s *Server) capturePage() http.Handler {
	var (
		mu     sync.Mutex
		origin string
	)
	return capturepage.Handler("/capture/", func(ctx context.Context) (string, error) {
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
// anything is captured: who asks, which checks run, which fields the
// customer may receive, and how long IDV keeps the data.
type consentBody struct {
	TenantName    string   `json:"tenant_name"`
	Checks        []string `json:"checks"`
	Fields        []string `json:"fields"`
	RetentionDays int      `json:"retention_days"`
}

func (s *Server) consentOf(ctx context.Context, sess idv.Session) (consentBody, error) {
	t, err := s.tenants.Get(ctx, sess.TenantID)
	if err != nil {
		return consentBody{}, err
	}
	fields := t.Policy.Fields
	if fields == nil {
		fields = []string{}
	}
	return consentBody{TenantName: t.Name, Checks: append([]string{}, sess.Checks...), Fields: fields,
		RetentionDays: sess.RetentionDays}, nil
}
