package schemas

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestEventsMatchTheirSchemas(t *testing.T) {
	sid, tid := "6f1c9a52-8a1e-4a8e-9d0f-0c1b2a3d4e5f", "0b1c9a52-8a1e-4a8e-9d0f-0c1b2a3d4e5f"
	now := time.Now().UTC()
	good := map[string]any{
		TypeSessionSubmitted: SessionSubmitted{SessionID: sid, TenantID: tid, Checks: []string{"document"}, SubmittedAt: now},
		TypeCheckCompleted:   CheckCompleted{SessionID: sid, TenantID: tid, Check: "document", Outcome: OutcomeFailed, Reasons: []string{"mrz_check_digit"}},
		TypeSessionDecided:   SessionDecided{SessionID: sid, TenantID: tid, Decision: DecisionDeclined, DecidedAt: now},
		TypeSessionExpired:   SessionExpired{SessionID: sid, TenantID: tid, Reason: WipeExpired, ExpiresAt: now, RequestedAt: now},
		TypeSessionDeleted:   SessionDeleted{SessionID: sid, TenantID: tid, ReceiptID: sid, Reason: WipeCustomerRequest, DeletedAt: now},
		TypeAuditCheckpoint:  AuditCheckpointStored{CheckpointID: sid, TenantID: tid, Seq: 7, SignedAt: now},
	}
	for typ, ev := range good {
		body, _ := json.Marshal(ev)
		if err := ValidateEvent(typ, body); err != nil {
			t.Errorf("%s: %v", typ, err)
		}
		// A personal field is refused by every schema.
		var m map[string]any
		json.Unmarshal(body, &m)
		m["full_name"] = "somebody"
		bad, _ := json.Marshal(m)
		if err := ValidateEvent(typ, bad); err == nil || !strings.Contains(err.Error(), "full_name") {
			t.Errorf("%s admits a personal field: %v", typ, err)
		}
	}
	if err := ValidateEvent(TypeCheckCompleted, []byte(`{"session_id":"x"}`)); err == nil {
		t.Error("an incomplete event validated")
	}
	// A checkpoint's event names an entry: seq 0 (an empty chain) is none.
	empty, _ := json.Marshal(AuditCheckpointStored{CheckpointID: sid, TenantID: tid, SignedAt: now})
	if err := ValidateEvent(TypeAuditCheckpoint, empty); err == nil {
		t.Error("an audit checkpoint event of seq 0 validated")
	}
}

func TestSubjectAndMsgID(t *testing.T) {
	if got := Subject(TypeSessionSubmitted, "abc"); got != "idv.session.submitted.abc" {
		t.Fatal(got)
	}
	if got := MsgID(TypeSessionSubmitted, "abc"); got != "idv.session.submitted:abc" {
		t.Fatal(got)
	}
}
