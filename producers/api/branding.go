package api

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
)

// Logos keeps tenants' logos for the capture page (postgres.Tenants); the
// tenant store given to the API holds them when it offers these methods,
// and the logo routes answer 404 when it does not.
type Logos interface {
	PutLogo(ctx context.Context, l idv.Logo) error
	Logo(ctx context.Context, tenantID uuid.UUID) (idv.Logo, error)
	// LogoSum is the SHA-256 of the tenant's logo, without its bytes: what
	// the page's link to it is named by.
	LogoSum(ctx context.Context, tenantID uuid.UUID) ([]byte, error)
	DeleteLogo(ctx context.Context, tenantID uuid.UUID) error
}

// logos is the tenant store's logos, or nil.
func (s *Server) logos() Logos {
	l, _ := s.tenants.(Logos)
	return l
}

// logoBody is a logo as IDV keeps it: where the page loads it from, its
// hash and size.
type logoBody struct {
	URL    string `json:"url"`
	SHA256 string `json:"sha256"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Bytes  int    `json:"bytes"`
}

// logoPath is where the capture page loads tenant's logo: beside the
// page, under a name of its content's hash (served immutable).
func logoPath(l idv.Logo) string {
	return "/capture/logo/" + l.TenantID.String() + "/" + l.Name()
}

// putLogo takes the tenant's logo, a PNG or JPEG body (image/png,
// image/jpeg) of at most 64 KiB, and keeps it as IDV re-encodes it
// (idv.NewLogo); a refused image is 422 invalid_logo saying why.
func (s *Server) putLogo(w http.ResponseWriter, r *http.Request) error {
	store := s.logos()
	if store == nil {
		return errNotFound
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "image/png" && mt != "image/jpeg" {
		return apiErr(http.StatusUnsupportedMediaType, "unsupported_media_type", "the body must be image/png or image/jpeg")
	}
	upload, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errTooLarge(maxBody)
	}
	if err != nil {
		return apiErr(http.StatusBadRequest, "invalid_request", "the body could not be read")
	}
	l, err := idv.NewLogo(tenantOf(r), upload, s.now())
	if errors.Is(err, idv.ErrLogo) {
		return apiErr(http.StatusUnprocessableEntity, "invalid_logo", "%v", err)
	}
	if err != nil {
		return err
	}
	if err := store.PutLogo(r.Context(), l); err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "logo changed", "tenant_id", l.TenantID)
	writeJSON(w, http.StatusOK, logoBody{URL: logoPath(l), SHA256: hex.EncodeToString(l.SHA256), Width: l.Width, Height: l.Height, Bytes: len(l.PNG)})
	return nil
}

// deleteLogo removes the tenant's logo (204, also when it had none).
func (s *Server) deleteLogo(w http.ResponseWriter, r *http.Request) error {
	store := s.logos()
	if store == nil {
		return errNotFound
	}
	if err := store.DeleteLogo(r.Context(), tenantOf(r)); err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "logo removed", "tenant_id", tenantOf(r))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// serveLogo answers /capture/logo/{tenant_id}/{hash}.png: the tenant's
// logo when hash is its current one, for a year (its name changes with
// it), with an ETag of its hash; anything else 404.
func (s *Server) serveLogo(w http.ResponseWriter, r *http.Request, rest string) {
	id, name, _ := strings.Cut(rest, "/")
	tenantID, err := uuid.Parse(id)
	store := s.logos()
	if err != nil || id != tenantID.String() || store == nil {
		http.NotFound(w, r)
		return
	}
	l, err := store.Logo(r.Context(), tenantID)
	if err != nil || l.Name() != name {
		if err != nil && !errors.Is(err, idv.ErrNotFound) {
			s.log.WarnContext(r.Context(), "logo unreadable", "tenant_id", tenantID, "err", err)
		}
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+hex.EncodeToString(l.SHA256)+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(l.PNG)) // If-None-Match: 304
}
