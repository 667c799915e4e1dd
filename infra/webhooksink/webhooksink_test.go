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
