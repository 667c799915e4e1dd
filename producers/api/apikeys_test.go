package api_test

import (
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/credential"
)

type apiKeyResp struct {
	APIKey    string     `json:"api_key"`
	ID        string     `json:"id"`
	Prefix    string     `json:"prefix"`
	State     string     `json:"state"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

type rotatedResp struct {
	NewKey apiKeyResp `json:"new_key"`
	OldKey apiKeyResp `json:"old_key"`
}

// raw sends a request with no body and returns the status and the body as
// sent (the contract transport checks it against openapi.yaml).
func (b *bundle) raw(method, path, token string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// works reports whether key is let through to a customer route.
func (b *bundle) works(key string) bool {
	b.t.Helper()
	switch code, body := b.raw("GET", "/v1/api-keys", key); code {
	case http.StatusOK:
		return true
	case http.StatusUnauthorized:
		if !strings.Contains(body, `"unauthorized"`) {
			b.t.Fatalf("401 without the code unauthorized: %s", body)
		}
		return false
	default:
		b.t.Fatalf("GET /v1/api-keys: %d %s", code, body)
		return false
	}
}

// TestAPIKeyLifecycle: a tenant creates, lists, rotates (with an overlap
// that ends by the server's clock) and revokes its keys; a revoked or
// ended key is refused like an unknown one; the last key without an end
// cannot be revoked; another tenant's key is not found; every change is in
// the audit log with the calling key as actor; no answer but the one that
// made a key shows its secret, and none its hash.
func TestAPIKeyLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	first := b.a.APIKey
	firstID := keyID(t, first)

	var list struct {
		APIKeys []apiKeyResp `json:"api_keys"`
	}
	if code := b.call("GET", "/v1/api-keys", first, nil, &list); code != http.StatusOK || len(list.APIKeys) != 1 ||
		list.APIKeys[0].ID != firstID || list.APIKeys[0].Prefix != "idv_sk_"+firstID ||
		list.APIKeys[0].State != "active" || list.APIKeys[0].RevokedAt != nil || list.APIKeys[0].APIKey != "" {
		t.Fatalf("GET /v1/api-keys: %d %+v", code, list)
	}

	// Create: the text once, working at once.
	var second apiKeyResp
	if code := b.call("POST", "/v1/api-keys", first, nil, &second); code != http.StatusCreated ||
		keyID(t, second.APIKey) != second.ID || second.State != "active" || second.Prefix != "idv_sk_"+second.ID {
		t.Fatalf("POST /v1/api-keys: %d %+v", code, second)
	}
	if !b.works(second.APIKey) {
		t.Fatal("the new key is refused")
	}

	// Rotate the first key with an hour's overlap: both work until the
	// hour is over by the server's clock, then only the new one.
	var rot rotatedResp
	if code := b.call("POST", "/v1/api-keys/"+firstID+"/rotate", second.APIKey, `{"overlap_seconds":3600}`, &rot); code != http.StatusCreated {
		t.Fatalf("rotate: %d", code)
	}
	third := rot.NewKey
	if rot.OldKey.ID != firstID || rot.OldKey.State != "expiring" || rot.OldKey.RevokedAt == nil ||
		!rot.OldKey.RevokedAt.Equal(third.CreatedAt.Add(time.Hour)) || third.State != "active" || keyID(t, third.APIKey) != third.ID {
		t.Fatalf("rotate: %+v", rot)
	}
	if !b.works(first) || !b.works(third.APIKey) {
		t.Fatal("a key is refused during the overlap")
	}
	if code := b.call("POST", "/v1/api-keys/"+firstID+"/rotate", third.APIKey, nil, nil); code != http.StatusConflict {
		t.Errorf("rotating a key that is ending: %d, want 409", code)
	}
	b.clock.Advance(time.Hour - time.Microsecond)
	if !b.works(first) {
		t.Fatal("the rotated key is refused before its overlap is over")
	}
	b.clock.Advance(time.Microsecond)
	if b.works(first) {
		t.Fatal("the rotated key works once its overlap is over")
	}
	if !b.works(third.APIKey) || !b.works(second.APIKey) {
		t.Fatal("the other keys stopped working")
	}

	// Revoke: at once; again answers the same and records nothing.
	var revoked apiKeyResp
	if code := b.call("DELETE", "/v1/api-keys/"+second.ID, third.APIKey, nil, &revoked); code != http.StatusOK ||
		revoked.State != "revoked" || revoked.RevokedAt == nil || revoked.APIKey != "" {
		t.Fatalf("revoke: %d %+v", code, revoked)
	}
	if b.works(second.APIKey) {
		t.Fatal("a revoked key works")
	}
	var again apiKeyResp
	if code := b.call("DELETE", "/v1/api-keys/"+second.ID, third.APIKey, nil, &again); code != http.StatusOK ||
		!again.RevokedAt.Equal(*revoked.RevokedAt) {
		t.Fatalf("revoking again: %d %+v", code, again)
	}

	// The last key without an end stays, even revoked by itself.
	var e errBody
	if code := b.call("DELETE", "/v1/api-keys/"+third.ID, third.APIKey, nil, &e); code != http.StatusConflict || e.Error.Code != "last_key" {
		t.Fatalf("revoking the last key: %d %+v", code, e)
	}
	if !b.works(third.APIKey) {
		t.Fatal("the last key was revoked")
	}

	// Another tenant's key is not found, and stays as it is.
	other := keyID(t, b.b.APIKey)
	for _, req := range [][2]string{{"DELETE", "/v1/api-keys/" + other}, {"POST", "/v1/api-keys/" + other + "/rotate"},
		{"DELETE", "/v1/api-keys/not-hex"}} {
		e = errBody{}
		if code := b.call(req[0], req[1], third.APIKey, nil, &e); code != http.StatusNotFound || e.Error.Code != "api_key_not_found" {
			t.Errorf("%s %s: %d %+v, want 404 api_key_not_found", req[0], req[1], code, e)
		}
	}
	if !b.works(b.b.APIKey) {
		t.Fatal("tenant B's key was changed by tenant A")
	}
	list.APIKeys = nil
	b.call("GET", "/v1/api-keys", b.b.APIKey, nil, &list)
	if len(list.APIKeys) != 1 || list.APIKeys[0].ID != other {
		t.Errorf("tenant B's keys: %+v", list.APIKeys)
	}

	// The list: all three, as they are now, and no secret or hash.
	code, body := b.raw("GET", "/v1/api-keys", third.APIKey)
	if code != http.StatusOK {
		t.Fatalf("list: %d %s", code, body)
	}
	for _, text := range []string{first, second.APIKey, third.APIKey} {
		c, _ := credential.Parse(credential.APIKey, text)
		for _, leak := range []string{base64.RawURLEncoding.EncodeToString(c.Secret), hex.EncodeToString(c.Hash()),
			base64.StdEncoding.EncodeToString(c.Hash()), "api_key\""} {
			if strings.Contains(body, leak) {
				t.Errorf("the list shows %q of key %s: %s", leak, c.ID, body)
			}
		}
		if !strings.Contains(body, `"id":"`+c.ID+`"`) {
			t.Errorf("the list lacks key %s: %s", c.ID, body)
		}
	}
	for _, want := range []string{`"state":"revoked"`, `"state":"active"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the list lacks %s: %s", want, body)
		}
	}

	// Each change once in the audit log, by the key that asked, with ids only.
	var got []string
	for _, ev := range b.auditActions(b.a.TenantID) {
		got = append(got, ev.Action+" "+ev.Actor+" "+ev.Detail["key_id"]+" "+ev.Detail["new_key_id"])
		for k, v := range ev.Detail {
			for _, text := range []string{first, second.APIKey, third.APIKey} {
				if c, _ := credential.Parse(credential.APIKey, text); strings.Contains(v, base64.RawURLEncoding.EncodeToString(c.Secret)) {
					t.Errorf("audit detail %s holds a secret", k)
				}
			}
		}
	}
	want := []string{
		idv.AuditAPIKeyCreated + " " + idv.ActorAPIKey(firstID) + " " + second.ID + " ",
		idv.AuditAPIKeyRotated + " " + idv.ActorAPIKey(second.ID) + " " + firstID + " " + third.ID,
		idv.AuditAPIKeyRevoked + " " + idv.ActorAPIKey(third.ID) + " " + second.ID + " ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestAPIKeyRotationOverlaps: the default overlap is a day, 0 ends the old
// key at once, an overlap out of range or an unknown field is refused with
// nothing changed, and a tenant has at most MaxLiveAPIKeys keys that work.
func TestAPIKeyRotationOverlaps(t *testing.T) {
	t.Parallel()
	b := setup(t)
	first := b.a.APIKey
	firstID := keyID(t, first)

	var e errBody
	for body, want := range map[string]string{`{"overlap_seconds":-1}`: "invalid_overlap",
		`{"overlap_seconds":604801}`: "invalid_overlap", `{"overlap":60}`: "invalid_request", `{"overlap_seconds":1.5}`: "invalid_request"} {
		e = errBody{}
		b.call("POST", "/v1/api-keys/"+firstID+"/rotate", first, body, &e)
		if e.Error.Code != want {
			t.Errorf("rotate with %s: %+v, want %s", body, e, want)
		}
	}
	if len(b.auditActions(b.a.TenantID)) != 0 {
		t.Fatal("a refused rotation was recorded")
	}

	var rot rotatedResp
	if code := b.call("POST", "/v1/api-keys/"+firstID+"/rotate", first, nil, &rot); code != http.StatusCreated ||
		!rot.OldKey.RevokedAt.Equal(rot.NewKey.CreatedAt.Add(idv.DefaultKeyOverlap)) {
		t.Fatalf("rotate with the default overlap: %d %+v", code, rot)
	}
	second := rot.NewKey.APIKey
	rot = rotatedResp{}
	if code := b.call("POST", "/v1/api-keys/"+keyID(t, second)+"/rotate", second, `{"overlap_seconds":0}`, &rot); code != http.StatusCreated ||
		rot.OldKey.State != "revoked" {
		t.Fatalf("rotate with no overlap: %d %+v", code, rot)
	}
	if b.works(second) || !b.works(first) || !b.works(rot.NewKey.APIKey) {
		t.Fatal("after a rotation without overlap: the old key should be refused at once, the others work")
	}
	// A revoked key ends the overlap of the key it replaced early.
	var revoked apiKeyResp
	if code := b.call("DELETE", "/v1/api-keys/"+firstID, rot.NewKey.APIKey, nil, &revoked); code != http.StatusOK || revoked.State != "revoked" {
		t.Fatalf("revoking a key in its overlap: %d %+v", code, revoked)
	}
	if b.works(first) {
		t.Fatal("a key revoked during its overlap works")
	}

	// The limit: one key works; MaxLiveAPIKeys-1 more may be made.
	third := rot.NewKey.APIKey
	for i := 1; i < idv.MaxLiveAPIKeys; i++ {
		if code := b.call("POST", "/v1/api-keys", third, "{}", nil); code != http.StatusCreated {
			t.Fatalf("key %d: %d", i+1, code)
		}
	}
	e = errBody{}
	if code := b.call("POST", "/v1/api-keys", third, nil, &e); code != http.StatusConflict || e.Error.Code != "api_key_limit" {
		t.Errorf("key %d: %d %+v, want 409 api_key_limit", idv.MaxLiveAPIKeys+1, code, e)
	}
}
