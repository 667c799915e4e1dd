package api_test

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// storeCopy does what the document check does for a tenant whose policy
// asks for a redacted copy: seal it to the session key as
// redacted_copy/i for each copy i (the front, then the back), store them
// under the session's prefix and record them with the check's result.
func (b *bundle) storeCopy(tenantID uuid.UUID, sessionID string, copies ...[]byte) {
	b.t.Helper()
	ctx := b.t.Context()
	id := uuid.MustParse(sessionID)
	k, err := postgres.NewSessions(b.db.DB).Key(ctx, tenantID, id)
	if err != nil {
		b.t.Fatal(err)
	}
	var stored []idv.Capture
	for i, plain := range copies {
		sealed, err := seal.Seal(k.PublicKey, seal.CaptureInfo(id, 1, string(schemas.RedactedCopy), i), plain)
		if err != nil {
			b.t.Fatal(err)
		}
		sum := sha256.Sum256(sealed)
		c := idv.Capture{SessionID: id, TenantID: tenantID, Kind: schemas.RedactedCopy, Index: i,
			ObjectKey: schemas.ObjectKey(tenantID.String(), sessionID, 1, schemas.RedactedCopy, i), Size: int64(len(sealed)), SHA256: sum[:]}
		if err := b.objects.Put(ctx, c.ObjectKey, sealed); err != nil {
			b.t.Fatal(err)
		}
		stored = append(stored, c)
	}
	err = postgres.NewResults(b.db.DB).SaveResult(ctx, idv.Result{SessionID: id, TenantID: tenantID,
		Check: schemas.CheckDocument, Outcome: schemas.OutcomePassed, Engine: "test", CompletedAt: time.Now(),
		Stored: stored}, idv.Event{TenantID: tenantID, MsgID: "copy-" + sessionID,
		Type: schemas.TypeCheckCompleted, Subject: schemas.Subject(schemas.TypeCheckCompleted, sessionID), Body: map[string]string{}})
	if err != nil {
		b.t.Fatal(err)
	}
}

// TestRedactedCopy: the tenant reads its session's redacted copies opened,
// the front's and (side=back) the back's, as JPEGs, each read on the audit
// log; a session without one, another tenant's and an erased one answer
// no copy; a side other than front or back is refused.
func TestRedactedCopy(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.newSession(b.a.APIKey)
	plain := append([]byte{0xff, 0xd8, 0xff}, bytes.Repeat([]byte("redacted"), 200)...)
	back := append([]byte{0xff, 0xd8, 0xff}, bytes.Repeat([]byte("back"), 300)...)
	b.storeCopy(b.a.TenantID, s.ID, plain, back)
	path := "/v1/sessions/" + s.ID + "/redacted-copy"

	get := func(token, path string) (int, string, []byte) {
		req, _ := http.NewRequest("GET", b.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := b.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), body
	}
	reads := func() int {
		var n int
		if err := b.db.Get(&n, `SELECT count(*) FROM audit_events WHERE session_id = $1 AND action = $2
			AND detail->>'capture' = 'redacted_copy'`, s.ID, idv.AuditPersonalDataRead); err != nil {
			t.Fatal(err)
		}
		return n
	}

	code, ctype, body := get(b.a.APIKey, path)
	if code != http.StatusOK || ctype != "image/jpeg" || !bytes.Equal(body, plain) {
		t.Fatalf("GET → %d %s, %d bytes; want 200 image/jpeg with the copy", code, ctype, len(body))
	}
	if n := reads(); n != 1 {
		t.Fatalf("%d personal_data_read entries for the copy, want 1", n)
	}
	if code, _, body := get(b.a.APIKey, path+"?side=back"); code != http.StatusOK || !bytes.Equal(body, back) {
		t.Fatalf("GET ?side=back → %d, %d bytes; want 200 with the back's copy", code, len(body))
	}
	if n := reads(); n != 2 {
		t.Fatalf("%d personal_data_read entries for the copies, want 2", n)
	}
	if code, _, body := get(b.a.APIKey, path+"?side=sideways"); code != http.StatusBadRequest || !bytes.Contains(body, []byte("invalid_request")) {
		t.Errorf("GET ?side=sideways → %d %s, want 400 invalid_request", code, body)
	}
	if code, _, _ := get(b.b.APIKey, path); code != http.StatusNotFound {
		t.Errorf("another tenant's read → %d, want 404", code)
	}
	other := b.newSession(b.a.APIKey)
	if code, _, body := get(b.a.APIKey, "/v1/sessions/"+other.ID+"/redacted-copy"); code != http.StatusNotFound ||
		!bytes.Contains(body, []byte("no_redacted_copy")) {
		t.Errorf("session without a copy → %d %s, want 404 no_redacted_copy", code, body)
	}
	if code := b.call("DELETE", "/v1/sessions/"+s.ID, b.a.APIKey, nil, nil); code != http.StatusAccepted {
		t.Fatalf("erase → %d", code)
	}
	if code, _, _ := get(b.a.APIKey, path); code != http.StatusGone {
		t.Errorf("erased session's copy → %d, want 410", code)
	}
	if n := reads(); n != 2 {
		t.Errorf("%d personal_data_read entries for the copies, want 2 (refused reads are not reads)", n)
	}
}
