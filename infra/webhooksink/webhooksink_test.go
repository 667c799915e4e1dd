package webhooksink_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/webhooksink"
	"github.com/idv-oss/idv/schemas"
)

// TestSink: a delivery signed with the tenant's secret is taken and handed
// to whoever awaits it; one signed with another secret is refused; a
// delivery repeating a webhook-id is acknowledged and dropped.
func TestSink(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	var out bytes.Buffer
	sink := webhooksink.New(secret, &out)
	const session = "7f9c1e4e-0d7a-4a43-9b6e-2f1a3c4d5e6f"
	hook := sink.Await(session, schemas.WebhookSessionDecided)
	body := []byte(`{"type":"session.decided","data":{"session_id":"` + session + `","decision":"approved"}}`)
	deliver := func(id string, key []byte) int {
		now := time.Now()
		r := httptest.NewRequest(http.MethodPost, "/webhooks", bytes.NewReader(body))
		r.Header.Set(schemas.HeaderWebhookID, id)
		r.Header.Set(schemas.HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
		r.Header.Set(schemas.HeaderWebhookSignature, idv.Sign(key, id, now, body))
		w := httptest.NewRecorder()
		sink.ServeHTTP(w, r)
		return w.Code
	}
	for _, tc := range []struct {
		name     string
		id       string
		key      []byte
		code     int
		received int
		dupes    int
	}{
		{"forged", "msg_1", []byte("another secret, not the tenant's"), http.StatusUnauthorized, 0, 0},
		{"signed", "msg_2", secret, http.StatusNoContent, 1, 0},
		{"repeated", "msg_2", secret, http.StatusNoContent, 1, 1},
	} {
		if code := deliver(tc.id, tc.key); code != tc.code {
			t.Errorf("%s: status %d, want %d", tc.name, code, tc.code)
		}
		if got := sink.Received(session, schemas.WebhookSessionDecided); got != tc.received {
			t.Errorf("%s: received %d, want %d", tc.name, got, tc.received)
		}
		if got := sink.Duplicated(session, schemas.WebhookSessionDecided); got != tc.dupes {
			t.Errorf("%s: duplicated %d, want %d", tc.name, got, tc.dupes)
		}
	}
	select {
	case p := <-hook:
		if p.Data.SessionID != session || p.Data.Decision != schemas.DecisionApproved {
			t.Errorf("handed over %+v", p)
		}
	default:
		t.Fatal("the verified webhook was not handed to the awaiting channel")
	}
	for _, want := range []string{"REFUSED", "signature verified", "dropped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, &out)
		}
	}
}

// TestSinkLogsWhatANoticeIsAbout: the tenant notices carry no session, so
// the log line names the sub-processor or breach instead of an empty
// session, and a payload naming nothing leaves the field out.
func TestSinkLogsWhatANoticeIsAbout(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef")
	for _, tc := range []struct {
		name, body, want string
	}{
		{"session", `{"type":"session.decided","data":{"session_id":"7f9c1e4e-0d7a-4a43-9b6e-2f1a3c4d5e6f","decision":"approved"}}`,
			"signature verified: session.decided session 7f9c1e4e-0d7a-4a43-9b6e-2f1a3c4d5e6f → approved\n"},
		{"subprocessor", `{"type":"subprocessor.announced","data":{"subprocessor_id":"ocr-eu","href":"/v1/subprocessors"}}`,
			"signature verified: subprocessor.announced subprocessor ocr-eu → /v1/subprocessors\n"},
		{"breach", `{"type":"breach.notified","data":{"breach":{"breach_id":"b-42","round":1},"href":"/v1/breaches/b-42"}}`,
			"signature verified: breach.notified breach b-42 → /v1/breaches/b-42\n"},
		{"nothing named", `{"type":"breach.notified","data":{"href":"/v1/breaches"}}`,
			"signature verified: breach.notified → /v1/breaches\n"},
	} {
		var out bytes.Buffer
		sink := webhooksink.New(secret, &out)
		now := time.Now()
		r := httptest.NewRequest(http.MethodPost, "/webhooks", strings.NewReader(tc.body))
		r.Header.Set(schemas.HeaderWebhookID, "msg_1")
		r.Header.Set(schemas.HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
		r.Header.Set(schemas.HeaderWebhookSignature, idv.Sign(secret, "msg_1", now, []byte(tc.body)))
		w := httptest.NewRecorder()
		sink.ServeHTTP(w, r)
		if w.Code != http.StatusNoContent {
			t.Fatalf("%s: status %d, want %d", tc.name, w.Code, http.StatusNoContent)
		}
		if !strings.HasSuffix(out.String(), tc.want) {
			t.Errorf("%s: log %q, want it to end %q", tc.name, out.String(), tc.want)
		}
	}
}
