package idv_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// The Standard Webhooks specification's published test vector (also in its
// reference libraries' tests).
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = "1614265330"
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

var vectorTime = time.Unix(1614265330, 0)

func vectorKey(t testing.TB) []byte {
	t.Helper()
	key, err := idv.ParseSecret(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func headers(id, ts, sig string) http.Header {
	h := http.Header{}
	if id != "" {
		h.Set(schemas.HeaderWebhookID, id)
	}
	if ts != "" {
		h.Set(schemas.HeaderWebhookTimestamp, ts)
	}
	if sig != "" {
		h.Set(schemas.HeaderWebhookSignature, sig)
	}
	return h
}

func TestSignReproducesTheStandardWebhooksVector(t *testing.T) {
	t.Parallel()
	if got := idv.Sign(vectorKey(t), vectorID, vectorTime, []byte(vectorBody)); got != vectorSignature {
		t.Fatalf("Sign = %s, want %s", got, vectorSignature)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	key := vectorKey(t)
	other := bytes.Repeat([]byte{7}, 32)
	otherSig := idv.Sign(other, vectorID, vectorTime, []byte(vectorBody))
	tests := []struct {
		name string
		key  []byte
		h    http.Header
		body string
		now  time.Time
		tol  time.Duration
		want error // nil: verifies
	}{
		{"vector", key, headers(vectorID, vectorTimestamp, vectorSignature), vectorBody, vectorTime, 0, nil},
		{"canonical header case", key, http.Header{"Webhook-Id": {vectorID}, "Webhook-Timestamp": {vectorTimestamp},
			"Webhook-Signature": {vectorSignature}}, vectorBody, vectorTime, 0, nil},
		{"second of several signatures", key, headers(vectorID, vectorTimestamp, otherSig+" "+vectorSignature), vectorBody, vectorTime, 0, nil},
		{"other versions ignored", key, headers(vectorID, vectorTimestamp, "v1a,AAAA "+vectorSignature+" v2,xyz"), vectorBody, vectorTime, 0, nil},
		{"4m59s late", key, headers(vectorID, vectorTimestamp, vectorSignature), vectorBody, vectorTime.Add(299 * time.Second), 0, nil},
		{"4m59s early", key, headers(vectorID, vectorTimestamp, vectorSignature), vectorBody, vectorTime.Add(-299 * time.Second), 0, nil},
		{"within a wider tolerance", key, headers(vectorID, vectorTimestamp, vectorSignature), vectorBody, vectorTime.Add(time.Hour), 2 * time.Hour, nil},

		{"tampered body", key, headers(vectorID, vectorTimestamp, vectorSignature), `{"test": 2432232315}`, vectorTime, 0, idv.ErrWebhookSignature},
		{"body with trailing newline", key, headers(vectorID, vectorTimestamp, vectorSignature), vectorBody + "\n", vectorTime, 0, idv.ErrWebhookSignature},
		{"tampered id", key, headers("msg_p5jXN8AQM9LWM0D4loKWxJel", vectorTimestamp, vectorSignature), vectorBody, vectorTime, 0, idv.ErrWebhookSignature},
		{"tampered timestamp", key, headers(vectorID, "1614265331", vectorSignature), vectorBody, vectorTime, 0, idv.ErrWebhookSignature},
		{"other secret", other, headers(vectorID, vectorTimestamp, vectorSignature), vectorBody, vectorTime, 0, idv.ErrWebhookSignature},
		{"tampered signature", key, headers(vectorID, vectorTimestamp, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF="), vectorBody, vectorTime, 0, idv.ErrWebhookSignature},
		{"wrong version only", key, headers(vectorID, vectorTimestamp, strings.Replace(vectorSignature, "v1,", "v2,", 1)), vectorBody, vectorTime, 0, idv.ErrWebhookSignature},
		{"signature without version", key, headers(vectorID, vectorTimestamp, strings.TrimPrefix(vectorSignature, "v1,")), vectorBody, vectorTime, 0, idv.ErrWebhookSignature},
		{"empty v1 signature", key, headers(vectorID, vectorTimestamp, "v1,"), vectorBody, vectorTime, 0, idv.ErrWebhookSignature},

		{"5m01s old", key, headers(vectorID, vectorTimestamp, vectorSignature), vectorBody, vectorTime.Add(301 * time.Second), 0, idv.ErrWebhookTimestamp},
		{"a day old", key, headers(vectorID, vectorTimestamp, vectorSignature), vectorBody, vectorTime.Add(24 * time.Hour), 0, idv.ErrWebhookTimestamp},
		{"5m01s in the future", key, headers(vectorID, vectorTimestamp, vectorSignature), vectorBody, vectorTime.Add(-301 * time.Second), 0, idv.ErrWebhookTimestamp},
		{"old under a narrower tolerance", key, headers(vectorID, vectorTimestamp, vectorSignature), vectorBody, vectorTime.Add(time.Minute), 30 * time.Second, idv.ErrWebhookTimestamp},

		{"no id", key, headers("", vectorTimestamp, vectorSignature), vectorBody, vectorTime, 0, idv.ErrWebhookHeader},
		{"no timestamp", key, headers(vectorID, "", vectorSignature), vectorBody, vectorTime, 0, idv.ErrWebhookHeader},
		{"no signature", key, headers(vectorID, vectorTimestamp, ""), vectorBody, vectorTime, 0, idv.ErrWebhookHeader},
		{"timestamp in milliseconds text", key, headers(vectorID, "1614265330.000", vectorSignature), vectorBody, vectorTime, 0, idv.ErrWebhookHeader},
		{"signed timestamp", key, headers(vectorID, "+1614265330", vectorSignature), vectorBody, vectorTime, 0, idv.ErrWebhookHeader},
		{"timestamp overflows", key, headers(vectorID, "99999999999999999999", vectorSignature), vectorBody, vectorTime, 0, idv.ErrWebhookHeader},
		{"RFC 3339 timestamp", key, headers(vectorID, "2021-02-25T15:02:10Z", vectorSignature), vectorBody, vectorTime, 0, idv.ErrWebhookHeader},

		{"empty secret", nil, headers(vectorID, vectorTimestamp, vectorSignature), vectorBody, vectorTime, 0, idv.ErrWebhookSecret},
		{"short secret", key[:23], headers(vectorID, vectorTimestamp, vectorSignature), vectorBody, vectorTime, 0, idv.ErrWebhookSecret},
	}
	sentinels := []error{idv.ErrWebhookSecret, idv.ErrWebhookHeader, idv.ErrWebhookTimestamp, idv.ErrWebhookSignature}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := idv.Verify(tt.key, tt.h, []byte(tt.body), tt.now, tt.tol)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			for _, s := range sentinels {
				if s != tt.want && errors.Is(err, s) {
					t.Errorf("Verify = %v also matches %v", err, s)
				}
			}
			if strings.Contains(err.Error(), strings.TrimPrefix(vectorSignature, "v1,")) ||
				strings.Contains(err.Error(), strings.TrimPrefix(vectorSecret, "whsec_")) {
				t.Errorf("error %q echoes a secret or signature", err)
			}
		})
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{0x5a}, 32)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"type":"session.decided"}`)
	for _, id := range []string{"msg_0123456789abcdef01234567", "a.b.c", "x"} {
		sig := idv.Sign(key, id, now, body)
		h := headers(id, "1772366400", sig)
		if err := idv.Verify(key, h, body, now, 0); err != nil {
			t.Errorf("id %q: %v", id, err)
		}
	}
	// Sub-second parts of the time are not signed: the header carries seconds.
	if idv.Sign(key, "x", now, body) != idv.Sign(key, "x", now.Add(999*time.Millisecond), body) {
		t.Error("Sign depends on sub-second time, which the header cannot carry")
	}
}

func TestParseSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		wantLen int // 0: refused with ErrWebhookSecret
	}{
		{vectorSecret, 24},
		{strings.TrimPrefix(vectorSecret, "whsec_"), 24},
		{" " + vectorSecret + "\n", 24},
		{"whsec_" + strings.Repeat("A", 44), 33}, // 44 base64 chars without padding = 33 bytes
		{"whsec_" + strings.Repeat("AAAA", 16), 48},
		{"whsec_" + strings.Repeat("AAAA", 21) + "AA==", 64},
		{"whsec_" + strings.Repeat("AAAA", 22), 0}, // 66 bytes
		{"whsec_AAAA", 0},
		{"whsec_", 0},
		{"", 0},
		{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!", 0},
		{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", 0}, // not a multiple of 4
	}
	for _, tt := range tests {
		key, err := idv.ParseSecret(tt.in)
		if tt.wantLen == 0 {
			if !errors.Is(err, idv.ErrWebhookSecret) {
				t.Errorf("ParseSecret(%q) = %d bytes, %v; want ErrWebhookSecret", tt.in, len(key), err)
			}
			if err != nil && len(tt.in) > 8 && strings.Contains(err.Error(), strings.TrimPrefix(strings.TrimSpace(tt.in), "whsec_")) {
				t.Errorf("ParseSecret error %q echoes the input", err)
			}
			continue
		}
		if err != nil || len(key) != tt.wantLen {
			t.Errorf("ParseSecret(%q) = %d bytes, %v; want %d bytes", tt.in, len(key), err, tt.wantLen)
		}
	}
}

func TestWebhookPayloadIsThin(t *testing.T) {
	t.Parallel()
	p := schemas.WebhookPayload{Type: schemas.WebhookSessionDecided, Timestamp: vectorTime.UTC(),
		Data: schemas.WebhookData{SessionID: "6f1c9a52-8a1e-4a8e-9d0f-0c1b2a3d4e5f", TenantID: "0b1c9a52-8a1e-4a8e-9d0f-0c1b2a3d4e5f",
			Decision: schemas.DecisionApproved, Href: "https://idv.example/v1/sessions/6f1c9a52-8a1e-4a8e-9d0f-0c1b2a3d4e5f"}}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"session.decided","timestamp":"2021-02-25T15:02:10Z","data":{"session_id":"6f1c9a52-8a1e-4a8e-9d0f-0c1b2a3d4e5f",` +
		`"tenant_id":"0b1c9a52-8a1e-4a8e-9d0f-0c1b2a3d4e5f","decision":"approved","href":"https://idv.example/v1/sessions/6f1c9a52-8a1e-4a8e-9d0f-0c1b2a3d4e5f"}}`
	if string(b) != want {
		t.Fatalf("payload\n%s\nwant\n%s", b, want)
	}
}

// FuzzVerify: Verify never panics on outside input, and whatever the header,
// it accepts only if one of the signature entries is exactly the signature
// Sign makes for that id, timestamp and body.
func FuzzVerify(f *testing.F) {
	f.Add(vectorID, vectorTimestamp, vectorSignature, []byte(vectorBody))
	f.Add(vectorID, vectorTimestamp, "v1,AAAA "+vectorSignature, []byte(vectorBody))
	f.Add(vectorID, vectorTimestamp, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE", []byte(vectorBody))
	f.Add(vectorID, "1614265330 ", vectorSignature, []byte(vectorBody))
	f.Add("", "", "", []byte{})
	f.Add("msg_x", "-1", "v1,,,, v1 ,", []byte("\x00\xff"))
	f.Add(vectorID, "9223372036854775807", vectorSignature, []byte(vectorBody))
	key, err := idv.ParseSecret(vectorSecret)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(schemas.HeaderWebhookID, id)
		h.Set(schemas.HeaderWebhookTimestamp, ts)
		h.Set(schemas.HeaderWebhookSignature, sig)
		err := idv.Verify(key, h, body, vectorTime, 0)
		if err == nil {
			// The oracle signs the header text as received, as the
			// specification says; the timestamp is within tolerance.
			m := hmac.New(sha256.New, key)
			m.Write([]byte(h.Get(schemas.HeaderWebhookID) + "." + h.Get(schemas.HeaderWebhookTimestamp) + "."))
			m.Write(body)
			want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
			if !slices.Contains(strings.Fields(h.Get(schemas.HeaderWebhookSignature)), want) {
				t.Fatalf("verified a header without the right signature: id %q ts %q sig %q", id, ts, sig)
			}
		}
	})
}
