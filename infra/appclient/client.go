// Package appclient is a Go client of IDV's app API: it does what the
// person's app does — fetch the session key, seal every capture on the
// device, upload through the pre-signed POST policies, submit. The capture
// command and the end-to-end tests use it; app developers can read it as the
// reference integration.
package appclient

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/schemas"
)

// Client talks to one session with its app token.
type Client struct {
	api   string
	token string
	http  *http.Client
}

// New returns a client of the API at apiURL (e.g. http://127.0.0.1:8080).
// A nil hc uses a client with a 2-minute timeout.
func New(apiURL, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	return &Client{api: strings.TrimRight(apiURL, "/"), token: token, http: hc}
}

// APIError is an error response of the API.
type APIError struct {
	Status  int
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Details map[string]string `json:"details"`
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("IDV answered %d %s: %s", e.Status, e.Code, e.Message)
	if c := e.Details["capture"]; c != "" {
		s += " (capture " + c + ")"
	}
	return s
}

// Session is what the app needs to seal and upload.
type Session struct {
	SessionID uuid.UUID `json:"session_id"`
	Status    string    `json:"status"`
	ExpiresAt time.Time `json:"expires_at"`
	// Attempt is the attempt captures are sealed and uploaded for.
	Attempt     int `json:"attempt"`
	MaxAttempts int `json:"max_attempts"`
	// Retake says what to take again and why while Status is
	// retake_requested.
	Retake     []schemas.Retake `json:"retake"`
	Encryption struct {
		KEMID     uint16 `json:"kem_id"`
		KDFID     uint16 `json:"kdf_id"`
		AEADID    uint16 `json:"aead_id"`
		PublicKey string `json:"public_key"`
	} `json:"encryption"`
	Slots []schemas.Slot `json:"slots"`
	// Challenge is the liveness challenge to show the person; nil when the
	// session does not ask for liveness.
	Challenge *schemas.Challenge `json:"challenge"`
	// ChipChallenge is the hex nonce for the document chip's active
	// authentication.
	ChipChallenge string `json:"chip_challenge"`
}

// PublicKey decodes the session's HPKE public key.
func (s Session) PublicKey() ([]byte, error) {
	pk, err := base64.StdEncoding.DecodeString(s.Encryption.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("appclient: session public key: %w", err)
	}
	return pk, nil
}

// Session fetches the session.
func (c *Client) Session(ctx context.Context) (Session, error) {
	var s Session
	err := c.do(ctx, http.MethodGet, "/v1/app/session", nil, &s)
	return s, err
}

// Checked asks for the session every interval until its checks are done
// with the attempt submitted: its status is no longer submitted (decided,
// or retake_requested with what to take again). It gives up when ctx ends.
func (c *Client) Checked(ctx context.Context, interval time.Duration) (Session, error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s, err := c.Session(ctx)
		if err != nil || s.Status != "submitted" {
			return s, err
		}
		select {
		case <-ctx.Done():
			return s, fmt.Errorf("appclient: session %s still being checked: %w", s.SessionID, ctx.Err())
		case <-t.C:
		}
	}
}

// Submitted is the answer to a submission.
type Submitted struct {
	SessionID   uuid.UUID `json:"session_id"`
	Attempt     int       `json:"attempt"`
	Status      string    `json:"status"`
	SubmittedAt time.Time `json:"submitted_at"`
}

// Submit submits the uploaded captures.
func (c *Client) Submit(ctx context.Context) (Submitted, error) {
	var s Submitted
	err := c.do(ctx, http.MethodPost, "/v1/app/session/submit", nil, &s)
	return s, err
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("appclient: encode %s: %w", path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.api+path, rd)
	if err != nil {
		return fmt.Errorf("appclient: %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("appclient: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		var e struct{ Error APIError }
		if err := dec.Decode(&e); err != nil || e.Error.Code == "" {
			return fmt.Errorf("appclient: %s %s: HTTP %d", method, path, resp.StatusCode)
		}
		e.Error.Status = resp.StatusCode
		return &e.Error
	}
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("appclient: decode %s: %w", path, err)
	}
	return nil
}
