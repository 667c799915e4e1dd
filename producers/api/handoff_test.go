package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

type handoffBody struct {
	Code      string    `json:"code"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

type redeemedBody struct {
	SessionID string `json:"session_id"`
	AppToken  string `json:"app_token"`
}

type appState struct {
	SessionID string `json:"session_id"`
	HandedOff bool   `json:"handed_off"`
}

// A session opened on a desktop goes on on a phone: the code, typed as a
// person types it, gives the phone its own token once; the desktop keeps
// its own and sees the hand-off; a spent, retired or expired code, and one
// of another form, is handoff_invalid.
func TestHandoff(t *testing.T) {
	t.Parallel()
	b := setup(t)
	desktop := b.newSession(b.a.APIKey)
	var first handoffBody
	if code := b.call("POST", "/v1/app/session/handoff", desktop.AppToken, nil, &first); code != http.StatusCreated {
		t.Fatalf("handoff: %d", code)
	}
	if d := first.ExpiresAt.Sub(b.clock.Now()); d <= 9*time.Minute || d > 10*time.Minute {
		t.Errorf("code expires at %v, %v from now; want 10 minutes", first.ExpiresAt, d)
	}
	// A second code retires the first.
	var second handoffBody
	if code := b.call("POST", "/v1/app/session/handoff", desktop.AppToken, nil, &second); code != http.StatusCreated || second.Code == first.Code {
		t.Fatalf("second handoff: %d %+v", code, second)
	}
	var e errBody
	if code := b.call("POST", "/v1/handoff", "", map[string]string{"code": first.Code}, &e); code != http.StatusNotFound || e.Error.Code != "handoff_invalid" {
		t.Fatalf("retired code: %d %+v", code, e)
	}
	typed := strings.ToLower(strings.ReplaceAll(second.Code, "-", " "))
	var phone redeemedBody
	if code := b.call("POST", "/v1/handoff", "", map[string]string{"code": typed}, &phone); code != http.StatusOK || phone.SessionID != desktop.ID ||
		phone.AppToken == desktop.AppToken {
		t.Fatalf("redeem %q: %d %+v", typed, code, phone)
	}
	e = errBody{}
	if code := b.call("POST", "/v1/handoff", "", map[string]string{"code": second.Code}, &e); code != http.StatusNotFound || e.Error.Code != "handoff_invalid" {
		t.Fatalf("spent code: %d %+v", code, e)
	}
	for name, tok := range map[string]string{"phone": phone.AppToken, "desktop": desktop.AppToken} {
		var st appState
		if code := b.call("GET", "/v1/app/session", tok, nil, &st); code != http.StatusOK || st.SessionID != desktop.ID || !st.HandedOff {
			t.Fatalf("%s after the hand-off: %d %+v", name, code, st)
		}
	}
	// The phone's token is no key to another session.
	other := b.newSession(b.a.APIKey)
	forged := "idv_at_" + strings.ReplaceAll(other.ID, "-", "") + "_" + strings.Split(phone.AppToken, "_")[3]
	if code := b.call("GET", "/v1/app/session", forged, nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("the phone's secret on another session: %d", code)
	}
	// A code not used within ten minutes is worth nothing.
	var late handoffBody
	if code := b.call("POST", "/v1/app/session/handoff", other.AppToken, nil, &late); code != http.StatusCreated {
		t.Fatalf("handoff: %d", code)
	}
	b.clock.Advance(10*time.Minute + time.Second)
	e = errBody{}
	if code := b.call("POST", "/v1/handoff", "", map[string]string{"code": late.Code}, &e); code != http.StatusNotFound || e.Error.Code != "handoff_invalid" {
		t.Fatalf("expired code: %d %+v", code, e)
	}
	e = errBody{}
	if code := b.call("POST", "/v1/handoff", "", map[string]string{"code": "not a code"}, &e); code != http.StatusNotFound || e.Error.Code != "handoff_invalid" {
		t.Fatalf("malformed code: %d %+v", code, e)
	}
}

// The short link sends the phone to the capture page with the code in the
// fragment, which never reaches a server.
func TestHandoffLink(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := &http.Client{Transport: b.http.Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(b.url + "/h/k7q2-m9xd-2htp-wr4b")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/capture/#handoff=K7Q2-M9XD-2HTP-WR4B" ||
		resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("short link: %d, Location %q, Cache-Control %q", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Cache-Control"))
	}
	resp, err = c.Get(b.url + "/h/nonsense")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("malformed short link: %d", resp.StatusCode)
	}
}
