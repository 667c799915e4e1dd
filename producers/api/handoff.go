package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	qr "github.com/piglig/go-qr"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/credential"
)

// Handoffs keeps the hand-off codes that move a session from a desktop to
// a phone (postgres.Sessions).
type Handoffs interface {
	CreateHandoff(ctx context.Context, h idv.Handoff) error
	RedeemHandoff(ctx context.Context, codeHash, tokenHash []byte, at time.Time) (tenantID, sessionID uuid.UUID, err error)
	HandoffToken(ctx context.Context, sessionID uuid.UUID, tokenHash []byte) (bool, error)
	HandedOff(ctx context.Context, tenantID, sessionID uuid.UUID) (bool, error)
}

// errHandoffInvalid: the code is unknown, spent or expired — which, no one
// is told.
var errHandoffInvalid = apiErr(http.StatusNotFound, "handoff_invalid",
	"this code is wrong, was used already or has expired: ask the other screen for a new one")

type handoffBody struct {
	Code string `json:"code"`
	URL  string `json:"url,omitempty"`
	// QR is the QR code of URL, row by row from the top, "1" a dark
	// module: the page draws it with no QR code of its own.
	QR        []string  `json:"qr,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

// createHandoff answers POST /v1/app/session/handoff: a new code (the
// session's earlier unspent one stops working) and, when IDV_PUBLIC_URL is
// set, the short link that carries it, for a QR code.
func (s *Server) createHandoff(w http.ResponseWriter, r *http.Request) error {
	sess := sessionOf(r)
	if !sess.Open() {
		return errNotOpen
	}
	code, err := credential.NewHandoffCode()
	if err != nil {
		return err
	}
	now := s.now()
	h := idv.Handoff{CodeHash: credential.HashHandoffCode(code), TenantID: sess.TenantID, SessionID: sess.ID,
		CreatedAt: now, ExpiresAt: now.Add(idv.HandoffTTL)}
	if err := s.sessions.CreateHandoff(r.Context(), h); err != nil {
		if errors.Is(err, idv.ErrConflict) {
			return errNotOpen
		}
		return err
	}
	s.log.InfoContext(r.Context(), "handoff code issued", "tenant_id", sess.TenantID, "session_id", sess.ID)
	body := handoffBody{Code: code, URL: s.handoffURL(code), ExpiresAt: h.ExpiresAt}
	if body.URL != "" {
		if body.QR, err = qrRows(body.URL); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusCreated, body)
	return nil
}

// qrRows encodes text as a QR code (error correction M: a phone screen
// photographed at an angle still reads) and returns its modules by row.
func qrRows(text string) ([]string, error) {
	q, err := qr.EncodeText(text, qr.Medium)
	if err != nil {
		return nil, fmt.Errorf("handoff: QR code: %w", err)
	}
	rows := make([]string, q.Size())
	row := make([]byte, q.Size())
	for y := range rows {
		for x := range row {
			row[x] = '0'
			if q.Module(x, y) {
				row[x] = '1'
			}
		}
		rows[y] = string(row)
	}
	return rows, nil
}

func (s *Server) handoffURL(code string) string {
	if s.cfg.PublicURL == "" {
		return ""
	}
	return strings.TrimRight(s.cfg.PublicURL, "/") + "/h/" + code
}

type redeemRequest struct {
	Code string `json:"code"`
}

type redeemedBody struct {
	SessionID         uuid.UUID `json:"session_id"`
	AppToken          string    `json:"app_token"`
	AppTokenExpiresAt time.Time `json:"app_token_expires_at"`
}

// redeemHandoff answers POST /v1/handoff: the code, once, for an app token
// of its session that works as the session's own until the same expiry.
// No credential comes with it, so each client address has its own bucket
// of tries, as each app token does.
func (s *Server) redeemHandoff(w http.ResponseWriter, r *http.Request) error {
	if err := s.appLimit.limit(w, "handoff "+clientAddr(r)); err != nil {
		return err
	}
	var req redeemRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	code, err := credential.ParseHandoffCode(req.Code)
	if err != nil {
		return errHandoffInvalid
	}
	// The token's hash is its secret's, so it is made before the code
	// says whose session it names.
	token, err := credential.New(credential.AppToken, "00")
	if err != nil {
		return err
	}
	tenantID, sessionID, err := s.sessions.RedeemHandoff(r.Context(), credential.HashHandoffCode(code), token.Hash(), s.now())
	if errors.Is(err, idv.ErrNotFound) {
		return errHandoffInvalid
	}
	if err != nil {
		return err
	}
	token.ID = strings.ReplaceAll(sessionID.String(), "-", "")
	sess, err := s.sessions.Get(r.Context(), tenantID, sessionID)
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "handoff code redeemed", "tenant_id", tenantID, "session_id", sessionID)
	writeJSON(w, http.StatusOK, redeemedBody{SessionID: sessionID, AppToken: token.String(),
		AppTokenExpiresAt: sess.AppTokenExpiresAt})
	return nil
}

// handoffLink answers GET /h/{code}, the short link a QR code carries: it
// sends the phone to the capture page with the code in the fragment, which
// the page redeems. The code is checked for form only; the page hears
// whether it works.
func (s *Server) handoffLink(w http.ResponseWriter, r *http.Request) error {
	code, err := credential.ParseHandoffCode(r.PathValue("code"))
	if err != nil {
		return errHandoffInvalid
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, "/capture/#handoff="+url.QueryEscape(code), http.StatusSeeOther)
	return nil
}

// clientAddr is the request's peer address without its port.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
