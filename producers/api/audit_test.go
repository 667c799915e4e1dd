package api_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/credential"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

type auditEvent struct {
	Seq       int64             `json:"seq"`
	Actor     string            `json:"actor"`
	Action    string            `json:"action"`
	SessionID *string           `json:"session_id"`
	Detail    map[string]string `json:"detail"`
	PrevHash  string            `json:"prev_hash"`
	Hash      string            `json:"hash"`
}

type auditPage struct {
	Events    []auditEvent `json:"events"`
	NextAfter *int64       `json:"next_after"`
}

// export reads a tenant's whole audit log through the API, one entry per
// page, and returns it with the raw bodies.
func (b *bundle) export(apiKey string) ([]auditEvent, string) {
	b.t.Helper()
	var all []auditEvent
	var raw strings.Builder
	path := "/v1/audit-events?limit=1"
	for range 100 {
		var page json.RawMessage
		if code := b.call("GET", path, apiKey, nil, &page); code != 200 {
			b.t.Fatalf("GET %s: %d %s", path, code, page)
		}
		raw.Write(page)
		var p auditPage
		if err := json.Unmarshal(page, &p); err != nil {
			b.t.Fatal(err)
		}
		all = append(all, p.Events...)
		if p.NextAfter == nil {
			return all, raw.String()
		}
		path = "/v1/audit-events?limit=1&after=" + jsonNumber(*p.NextAfter)
	}
	b.t.Fatal("export does not end")
	return nil, ""
}

func jsonNumber(n int64) string { j, _ := json.Marshal(n); return string(j) }

func keyID(t *testing.T, apiKey string) string {
	t.Helper()
	c, err := credential.Parse(credential.APIKey, apiKey)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// sealFields stores extracted fields for a session as the document check
// does: sealed to the session's public key.
func (b *bundle) sealFields(tenant uuid.UUID, sessionID string, fields map[string]any) {
	b.t.Helper()
	id := uuid.MustParse(sessionID)
	key, err := postgres.NewSessions(b.db.DB).Key(b.t.Context(), tenant, id)
	if err != nil {
		b.t.Fatal(err)
	}
	plain, _ := json.Marshal(fields)
	sealed, err := seal.Seal(key.PublicKey, seal.FieldsInfo(id, schemas.CheckDocument), plain)
	if err != nil {
		b.t.Fatal(err)
	}
	if _, err := b.db.Exec(`INSERT INTO check_results (session_id, tenant_id, check_name, outcome, engine, fields_sealed)
		VALUES ($1, $2, 'document', 'passed', 'test/1', $3)`, id, tenant, sealed); err != nil {
		b.t.Fatal(err)
	}
}

// TestAuditTrailOfReads: reading a session's fields and a deletion receipt
// is on record, with the key that read and ids and codes only; each tenant
// exports its own chain and nothing of another's.
func TestAuditTrailOfReads(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, err := b.db.Exec(`UPDATE tenants SET policy = jsonb_set(policy, '{fields}', '["full_name", "age_over_18"]')
		WHERE tenant_id = $1`, b.a.TenantID); err != nil {
		t.Fatal(err)
	}
	s := b.newSession(b.a.APIKey)
	b.sealFields(b.a.TenantID, s.ID, map[string]any{"full_name": "Anna de Vries", "age_over_18": true, "birth_date": "1990-04-01"})
	var got struct {
		Fields map[string]any `json:"fields"`
	}
	for range 2 {
		if code := b.call("GET", "/v1/sessions/"+s.ID, b.a.APIKey, nil, &got); code != 200 || got.Fields["full_name"] != "Anna de Vries" {
			t.Fatalf("GET session: %d %+v", code, got)
		}
	}
	// A session without sealed fields reads no personal data.
	plain := b.newSession(b.a.APIKey)
	b.call("GET", "/v1/sessions/"+plain.ID, b.a.APIKey, nil, nil)

	// A receipt read (the receipt row stands in for a finished wipe).
	receiptID := uuid.New()
	if _, err := b.db.Exec(`INSERT INTO deletion_receipts (receipt_id, tenant_id, session_id, statement, signature, key_id)
		VALUES ($1, $2, $3, '{}', $4, 'k')`, receiptID, b.a.TenantID, plain.ID, make([]byte, 64)); err != nil {
		t.Fatal(err)
	}
	if code := b.call("GET", "/v1/deletion-receipts/"+receiptID.String(), b.a.APIKey, nil, nil); code != 200 {
		t.Fatalf("GET receipt: %d", code)
	}
	if code := b.call("GET", "/v1/deletion-receipts/"+receiptID.String(), b.b.APIKey, nil, nil); code != 404 {
		t.Fatalf("GET A's receipt as B: %d", code)
	}

	// Tenant B erases a session of its own.
	other := b.newSession(b.b.APIKey)
	if code := b.call("DELETE", "/v1/sessions/"+other.ID, b.b.APIKey, nil, nil); code != 202 {
		t.Fatalf("erase: %d", code)
	}

	evs, raw := b.export(b.a.APIKey)
	actorA := "tenant_api_key:" + keyID(t, b.a.APIKey)
	want := []struct{ action, session string }{
		{"personal_data_read", s.ID}, {"personal_data_read", s.ID}, {"receipt_read", plain.ID}}
	if len(evs) != len(want) {
		t.Fatalf("tenant A's export has %d entries, want %d: %s", len(evs), len(want), raw)
	}
	prev := strings.Repeat("0", 64)
	for i, ev := range evs {
		if ev.Action != want[i].action || ev.SessionID == nil || *ev.SessionID != want[i].session || ev.Actor != actorA {
			t.Errorf("entry %d: %+v, want %s of %s by %s", i, ev, want[i].action, want[i].session, actorA)
		}
		if ev.PrevHash != prev {
			t.Errorf("entry %d prev_hash %s, want %s", i, ev.PrevHash, prev)
		}
		if h, err := hex.DecodeString(ev.Hash); err != nil || len(h) != 32 {
			t.Errorf("entry %d hash %q", i, ev.Hash)
		}
		prev = ev.Hash
	}
	if evs[0].Detail["fields"] != "age_over_18,full_name" || evs[2].Detail["receipt_id"] != receiptID.String() {
		t.Errorf("details: %v, %v", evs[0].Detail, evs[2].Detail)
	}
	// The sealed fields' values whole: a bare "1990" or "Anna" turns up by
	// chance in a hash's hex or a signature's base64 (a run failed so).
	for _, personal := range []string{"Anna de Vries", "Vries", "1990-04-01", other.ID} {
		if strings.Contains(raw, personal) {
			t.Errorf("tenant A's audit export contains %q: %s", personal, raw)
		}
	}
	if n, err := postgres.NewAudit(b.db.DB).Verify(t.Context(), b.a.TenantID); err != nil || n != 3 {
		t.Fatalf("Verify A: %d, %v", n, err)
	}

	evsB, rawB := b.export(b.b.APIKey)
	if len(evsB) != 1 || evsB[0].Action != "erasure_requested" || evsB[0].SessionID == nil || *evsB[0].SessionID != other.ID ||
		evsB[0].Actor != "tenant_api_key:"+keyID(t, b.b.APIKey) || evsB[0].Detail["reason"] != schemas.WipeCustomerRequest {
		t.Fatalf("tenant B's export: %s", rawB)
	}
	if strings.Contains(rawB, s.ID) || strings.Contains(rawB, plain.ID) {
		t.Fatalf("tenant B's export shows A's sessions: %s", rawB)
	}

	// One page: the next cursor names the last entry; bad cursors are refused.
	var page auditPage
	if code := b.call("GET", "/v1/audit-events", b.a.APIKey, nil, &page); code != 200 || len(page.Events) != 3 || page.NextAfter != nil {
		t.Fatalf("default page: %d %+v", code, page)
	}
	if code := b.call("GET", "/v1/audit-events?limit=2", b.a.APIKey, nil, &page); code != 200 || len(page.Events) != 2 ||
		page.NextAfter == nil || *page.NextAfter != page.Events[1].Seq {
		t.Fatalf("page of 2: %d %+v", code, page)
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "after=-1", "after=y"} {
		var e errBody
		if code := b.call("GET", "/v1/audit-events?"+q, b.a.APIKey, nil, &e); code != 400 || e.Error.Code != "invalid_request" {
			t.Errorf("?%s: %d %+v", q, code, e)
		}
	}
	if code := b.call("GET", "/v1/audit-events", "", nil, nil); code != 401 {
		t.Errorf("without a key: %d", code)
	}
	if code := b.call("GET", "/v1/audit-events", s.AppToken, nil, nil); code != 401 {
		t.Errorf("with an app token: %d", code)
	}
}

type checkpointResp struct {
	Statement  []byte `json:"statement"`
	Signature  []byte `json:"signature"`
	KeyID      string `json:"key_id"`
	Checkpoint struct {
		TenantID string `json:"tenant_id"`
		Seq      int64  `json:"seq"`
		Hash     string `json:"hash"`
		Purpose  string `json:"purpose"`
	} `json:"checkpoint"`
}

// TestCheckpointsHandedOut: every audit export page and every receipt read
// carries the tenant's chain head signed with the audit key that
// GET /v1/signing-keys lists (not the receipt key); the export's names the
// newest entry even on a first page, and the receipt's covers the read of
// that very receipt.
func TestCheckpointsHandedOut(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var keys struct {
		Keys []struct {
			Purpose   string `json:"purpose"`
			KeyID     string `json:"key_id"`
			PublicKey []byte `json:"public_key"`
			Current   bool   `json:"current"`
		} `json:"keys"`
	}
	if code := b.call("GET", "/v1/signing-keys", "", nil, &keys); code != 200 || len(keys.Keys) != 2 {
		t.Fatalf("signing keys: %d %+v", code, keys)
	}
	auditKey := map[string][]byte{}
	for _, k := range keys.Keys {
		if k.Purpose == "audit" {
			auditKey[k.KeyID] = k.PublicKey
		}
	}
	verified := func(what string, cp checkpointResp) {
		t.Helper()
		pub, ok := auditKey[cp.KeyID]
		if !ok || !ed25519.Verify(pub, cp.Statement, cp.Signature) {
			t.Fatalf("%s: checkpoint signed by %s does not verify with a listed audit key", what, cp.KeyID)
		}
		if cp.Checkpoint.TenantID != b.a.TenantID.String() {
			t.Fatalf("%s: checkpoint of tenant %s", what, cp.Checkpoint.TenantID)
		}
	}

	var empty struct {
		Checkpoint checkpointResp `json:"checkpoint"`
	}
	if code := b.call("GET", "/v1/audit-events", b.a.APIKey, nil, &empty); code != 200 {
		t.Fatalf("export: %d", code)
	}
	verified("empty export", empty.Checkpoint)
	if empty.Checkpoint.Checkpoint.Seq != 0 || empty.Checkpoint.Checkpoint.Hash != strings.Repeat("0", 64) || empty.Checkpoint.Checkpoint.Purpose != "export" {
		t.Fatalf("checkpoint of an empty log: %+v", empty.Checkpoint.Checkpoint)
	}

	s := b.newSession(b.a.APIKey)
	receiptID := uuid.New()
	if _, err := b.db.Exec(`INSERT INTO deletion_receipts (receipt_id, tenant_id, session_id, statement, signature, key_id)
		VALUES ($1, $2, $3, '{}', $4, 'k')`, receiptID, b.a.TenantID, s.ID, make([]byte, 64)); err != nil {
		t.Fatal(err)
	}
	var receipt struct {
		AuditCheckpoint checkpointResp `json:"audit_checkpoint"`
	}
	for range 2 {
		if code := b.call("GET", "/v1/deletion-receipts/"+receiptID.String(), b.a.APIKey, nil, &receipt); code != 200 {
			t.Fatalf("receipt: %d", code)
		}
	}
	verified("receipt", receipt.AuditCheckpoint)
	var page struct {
		Events     []auditEvent   `json:"events"`
		Checkpoint checkpointResp `json:"checkpoint"`
	}
	if code := b.call("GET", "/v1/audit-events?limit=1", b.a.APIKey, nil, &page); code != 200 || len(page.Events) != 1 {
		t.Fatalf("first page: %d %+v", code, page)
	}
	verified("export page", page.Checkpoint)
	evs, _ := b.export(b.a.APIKey)
	last := evs[len(evs)-1]
	if len(evs) != 2 || last.Action != "receipt_read" {
		t.Fatalf("entries %+v, want two receipt reads", evs)
	}
	// The second read's checkpoint names that read: the head after it.
	if c := receipt.AuditCheckpoint.Checkpoint; c.Seq != last.Seq || c.Hash != last.Hash || c.Purpose != "receipt" {
		t.Fatalf("receipt checkpoint %+v, want the head %d %s", c, last.Seq, last.Hash)
	}
	// A page of one entry still signs the newest.
	if c := page.Checkpoint.Checkpoint; c.Seq != last.Seq || c.Hash != last.Hash {
		t.Fatalf("first page's checkpoint %+v, want the head %d", c, last.Seq)
	}
	if _, err := hex.DecodeString(last.Hash); err != nil {
		t.Fatal(err)
	}
}
