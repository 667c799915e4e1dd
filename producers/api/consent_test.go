package api_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/schemas"
)

// consentView is what GET /v1/app/session gives a consent screen.
type consentView struct {
	Purpose           string         `json:"purpose"`
	ControllerContact string         `json:"controller_contact"`
	PrivacyNoticeURL  string         `json:"privacy_notice_url"`
	Requests          []string       `json:"requests"`
	Checks            []string       `json:"checks"`
	Slots             []schemas.Slot `json:"slots"`
}

// TestConsentNamesTheController: what the tenant's policy says of the
// purpose, its contact and its privacy notice reaches the app's consent
// screen as set, with the requests the person may send from it; a refused
// setting is 422 naming it, and leaves the policy as it was.
func TestConsentNamesTheController(t *testing.T) {
	t.Parallel()
	b := setup(t)
	change := map[string]any{"purpose": "Opening an account", "controller_contact": "privacy@example.com",
		"privacy_notice_url": "https://example.com/privacy"}
	if code := b.call("PATCH", "/v1/policy", b.a.APIKey, change, nil); code != http.StatusOK {
		t.Fatalf("PATCH /v1/policy: %d", code)
	}
	var e errBody
	if code := b.call("PATCH", "/v1/policy", b.a.APIKey, map[string]any{"privacy_notice_url": "http://example.com/privacy"}, &e); code != http.StatusUnprocessableEntity ||
		e.Error.Details["setting"] != schemas.SettingPrivacyNoticeURL {
		t.Errorf("an http notice: %d %+v", code, e)
	}
	s := b.newSession(b.a.APIKey)
	var v consentView
	if code := b.call("GET", "/v1/app/session", s.AppToken, nil, &v); code != http.StatusOK {
		t.Fatalf("app session: %d", code)
	}
	if v.Purpose != change["purpose"] || v.ControllerContact != change["controller_contact"] || v.PrivacyNoticeURL != change["privacy_notice_url"] ||
		!slices.Equal(v.Requests, []string{schemas.DSRAccess, schemas.DSRErasure}) {
		t.Errorf("consent %+v, want the policy's settings and access, erasure", v)
	}
	// Another tenant's page says nothing of them.
	var other consentView
	b.call("GET", "/v1/app/session", b.newSession(b.b.APIKey).AppToken, nil, &other)
	if other.Purpose != "" || other.ControllerContact != "" || other.PrivacyNoticeURL != "" {
		t.Errorf("tenant b's consent %+v", other)
	}
}

// TestDocumentOnlyTakesNoSelfie: a session with the document check only
// requires no selfie (its slot's minimum is 0) and is submitted with the
// document alone; a session with the face match still requires one.
func TestDocumentOnlyTakesNoSelfie(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	for _, tc := range []struct {
		checks []string
		min    int
	}{{[]string{schemas.CheckDocument}, 0}, {[]string{schemas.CheckDocument, schemas.CheckFace}, 1}} {
		var c created
		if code := b.call("POST", "/v1/sessions", b.a.APIKey, map[string]any{"checks": tc.checks}, &c); code != http.StatusCreated {
			t.Fatalf("create %v: %d", tc.checks, code)
		}
		app := b.app(c.AppToken)
		sess, err := app.Session(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if slot, _ := schemas.SlotFor(sess.Slots, schemas.Selfie); slot.Min != tc.min {
			t.Errorf("%v: selfie slot %+v, want min %d", tc.checks, slot, tc.min)
		}
		if err := app.SealAndUpload(ctx, sess, captures(0), nil); err != nil {
			t.Fatal(err)
		}
		_, err = app.Submit(ctx)
		var ae *appclient.APIError
		switch {
		case tc.min == 0 && err != nil:
			t.Errorf("%v: submit without a selfie: %v", tc.checks, err)
		case tc.min == 1 && (!errors.As(err, &ae) || ae.Code != "capture_missing" || ae.Details["capture"] != "selfie/0"):
			t.Errorf("%v: submit without a selfie: %v, want capture_missing selfie/0", tc.checks, err)
		}
	}
}
