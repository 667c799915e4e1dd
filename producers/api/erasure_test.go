package api_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/schemas"
)

func (b *bundle) events(sessionID string) []string {
	b.t.Helper()
	var types []string
	if err := b.db.Select(&types, `SELECT type FROM outbox WHERE subject LIKE '%.' || $1 ORDER BY seq`, sessionID); err != nil {
		b.t.Fatal(err)
	}
	return types
}

type sessionState struct {
	Status     string  `json:"status"`
	Decision   *string `json:"decision"`
	WipeReason *string `json:"wipe_reason"`
}

func TestCustomerErasure(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.newSession(b.a.APIKey)
	var e errBody
	if code := b.call("DELETE", "/v1/sessions/"+s.ID, b.b.APIKey, nil, &e); code != 404 {
		t.Fatalf("tenant B erasing A's session: %d %+v", code, e)
	}
	for range 2 { // idempotent
		var got sessionState
		if code := b.call("DELETE", "/v1/sessions/"+s.ID, b.a.APIKey, nil, &got); code != 202 ||
			got.Status != "expired" || got.WipeReason == nil || *got.WipeReason != schemas.WipeCustomerRequest {
			t.Fatalf("erase: %d %+v", code, got)
		}
	}
	if ev := b.events(s.ID); len(ev) != 1 || ev[0] != schemas.TypeSessionExpired {
		t.Fatalf("events after two erasure requests: %v", ev)
	}
	if code := b.call("GET", "/v1/app/session", s.AppToken, nil, &e); code != 410 || e.Error.Code != "session_ended" {
		t.Fatalf("app token after erasure: %d %+v", code, e)
	}
}

func TestPersonDeclines(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.newSession(b.a.APIKey)
	if code := b.call("POST", "/v1/app/session/decline", s.AppToken, nil, nil); code != 200 {
		t.Fatalf("decline: %d", code)
	}
	var got sessionState
	b.call("GET", "/v1/sessions/"+s.ID, b.a.APIKey, nil, &got)
	if got.Decision == nil || *got.Decision != schemas.DecisionDeclinedByUser || got.WipeReason == nil || *got.WipeReason != schemas.WipeDeclinedByUser {
		t.Fatalf("after decline: %+v", got)
	}
	if ev := b.events(s.ID); len(ev) != 2 || ev[0] != schemas.TypeSessionDecided || ev[1] != schemas.TypeSessionExpired {
		t.Fatalf("events after decline: %v", ev)
	}
	var e errBody
	if code := b.call("POST", "/v1/app/session/decline", s.AppToken, nil, &e); code != 410 {
		t.Fatalf("second decline: %d %+v", code, e)
	}

	// A decided session can no longer be declined.
	d := b.newSession(b.a.APIKey)
	if _, err := b.db.Exec(`UPDATE sessions SET status = 'decided', decision = 'approved', decided_at = now() WHERE session_id = $1`, d.ID); err != nil {
		t.Fatal(err)
	}
	if code := b.call("POST", "/v1/app/session/decline", d.AppToken, nil, &e); code != 409 || e.Error.Code != "session_not_open" {
		t.Fatalf("declining a decided session: %d %+v", code, e)
	}
}

func TestDeletionReceipts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var key struct {
		KeyID     string `json:"key_id"`
		PublicKey []byte `json:"public_key"`
	}
	if code := b.call("GET", "/v1/receipt-signing-key", "", nil, &key); code != 200 || len(key.PublicKey) != ed25519.PublicKeySize {
		t.Fatalf("signing key: %d %+v", code, key)
	}
	s := b.newSession(b.a.APIKey)
	receiptID := uuid.New()
	statement, _ := json.Marshal(map[string]string{"receipt_id": receiptID.String(), "session_id": s.ID})
	sig, keyID, err := b.vault.SignReceipt(t.Context(), statement)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.Exec(`INSERT INTO deletion_receipts (receipt_id, tenant_id, session_id, statement, signature, key_id)
		VALUES ($1, $2, $3, $4, $5, $6)`, receiptID, b.a.TenantID, s.ID, statement, sig, keyID); err != nil {
		t.Fatal(err)
	}
	var e errBody
	if code := b.call("GET", "/v1/deletion-receipts/"+receiptID.String(), b.b.APIKey, nil, &e); code != 404 {
		t.Fatalf("tenant B reading A's receipt: %d", code)
	}
	if code := b.call("GET", "/v1/deletion-receipts/"+uuid.NewString(), b.a.APIKey, nil, &e); code != 404 {
		t.Fatalf("unknown receipt: %d", code)
	}
	// An addendum (the tail sweep's) is served with the receipt.
	addendumID := uuid.New()
	addendum := []byte(`{"addendum_id":"` + addendumID.String() + `"}`)
	asig, akeyID, err := b.vault.SignReceipt(t.Context(), addendum)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.Exec(`INSERT INTO deletion_addenda (addendum_id, receipt_id, tenant_id, session_id, statement, signature, key_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, addendumID, receiptID, b.a.TenantID, s.ID, addendum, asig, akeyID); err != nil {
		t.Fatal(err)
	}
	var got struct {
		KeyID     string          `json:"key_id"`
		Statement []byte          `json:"statement"`
		Signature []byte          `json:"signature"`
		Receipt   json.RawMessage `json:"receipt"`
		Addenda   []struct {
			AddendumID string          `json:"addendum_id"`
			KeyID      string          `json:"key_id"`
			Statement  []byte          `json:"statement"`
			Signature  []byte          `json:"signature"`
			Addendum   json.RawMessage `json:"addendum"`
		} `json:"addenda"`
	}
	if code := b.call("GET", "/v1/deletion-receipts/"+receiptID.String(), b.a.APIKey, nil, &got); code != 200 {
		t.Fatalf("receipt: %d", code)
	}
	if got.KeyID != key.KeyID || !ed25519.Verify(key.PublicKey, got.Statement, got.Signature) {
		t.Fatalf("receipt does not verify with the published key")
	}
	if len(got.Addenda) != 1 || got.Addenda[0].AddendumID != addendumID.String() || got.Addenda[0].KeyID != key.KeyID ||
		!ed25519.Verify(key.PublicKey, got.Addenda[0].Statement, got.Addenda[0].Signature) ||
		!bytes.Equal(got.Addenda[0].Addendum, addendum) {
		t.Fatalf("addenda %+v, want the one stored, verifying with the published key", got.Addenda)
	}
	var sess struct {
		ReceiptID *string `json:"receipt_id"`
	}
	b.call("GET", "/v1/sessions/"+s.ID, b.a.APIKey, nil, &sess)
	if sess.ReceiptID == nil || *sess.ReceiptID != receiptID.String() {
		t.Fatalf("session does not point at its receipt: %+v", sess)
	}

	// After a rotation of the receipt key the endpoint names the new key
	// as current and still lists the old one, which verifies the receipt.
	rot, err := b.vault.RotateSigningKey(t.Context(), vault.PurposeReceipt)
	if err != nil {
		t.Fatal(err)
	}
	var rotated struct {
		KeyID string `json:"key_id"`
		Keys  []struct {
			KeyID     string `json:"key_id"`
			PublicKey []byte `json:"public_key"`
			Current   bool   `json:"current"`
		} `json:"keys"`
	}
	if code := b.call("GET", "/v1/receipt-signing-key", "", nil, &rotated); code != 200 || rotated.KeyID != rot.NewKeyID ||
		len(rotated.Keys) != 2 || !rotated.Keys[0].Current || rotated.Keys[0].KeyID != rot.NewKeyID ||
		rotated.Keys[1].Current || rotated.Keys[1].KeyID != key.KeyID ||
		!ed25519.Verify(rotated.Keys[1].PublicKey, got.Statement, got.Signature) {
		t.Fatalf("signing keys after a rotation from %s to %s: %d %+v", key.KeyID, rot.NewKeyID, code, rotated)
	}
}
