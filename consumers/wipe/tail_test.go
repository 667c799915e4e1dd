package wipe_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/schemas"
)

// postThrough uploads body through a pre-signed POST policy, as the app
// does.
func postThrough(t *testing.T, p idv.PostPolicy, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range p.Fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	f, err := w.CreateFormFile("file", "capture.sealed")
	if err != nil {
		t.Fatal(err)
	}
	f.Write(body)
	w.Close()
	resp, err := http.Post(p.URL, w.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("upload through the policy: HTTP %d", resp.StatusCode)
	}
}

// An upload policy issued before a wipe still stores an object after it
// (the review reproduced it): the tail sweep, asked for once the longest
// policy has expired, deletes it, counts it, signs an addendum to the
// receipt that says so and records it in the tenant's audit log; the
// receipt's signed bytes stay as they were, and a second sweep finds
// nothing and signs nothing.
func TestTailSweepDeletesWhatLandedAfterTheWipe(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	s := b.intake(t)
	late := []byte("sealed bytes uploaded after the wipe")
	key := schemas.ObjectKey(b.tenant.String(), s.id.String(), 1, schemas.DocumentBack, 0)
	policy, err := b.store.PresignPost(ctx, key, int64(len(late)), int64(len(late)), 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.stage.Handle(ctx, b.requestWipe(t, s.id, schemas.WipeCustomerRequest)); err != nil {
		t.Fatal(err)
	}
	receipt := b.assertWiped(t, s, schemas.WipeCustomerRequest)
	postThrough(t, policy, late)
	if _, err := b.store.Stat(ctx, key); err != nil {
		t.Fatalf("the reused policy stored nothing (%v): the test shows nothing", err)
	}

	tail := idv.TailSweepEvent(b.tenant, s.id, schemas.WipeCustomerRequest, b.now, b.now)
	ev := stageEvent(t, tail)
	if err := b.stage.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if _, err := b.store.Stat(ctx, key); err == nil {
		t.Fatal("the object that landed after the wipe is still there")
	}
	if got := b.counter(t, "idv_wipe_late_objects_deleted_total"); got != 1 {
		t.Errorf("idv_wipe_late_objects_deleted_total = %v, want 1", got)
	}
	audits := func() int {
		return b.count(t, `SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND session_id = $2 AND action = $3
			AND detail->>'objects' = '1' AND detail->>'receipt_id' = $4`,
			b.tenant, s.id, idv.AuditLateObjectsDeleted, receipt.ReceiptID)
	}
	if n := audits(); n != 1 {
		t.Fatalf("%d late_objects_deleted audit entries, want 1", n)
	}
	if again := b.assertWiped(t, s, schemas.WipeCustomerRequest); again.ReceiptID != receipt.ReceiptID {
		t.Fatal("the tail sweep changed the receipt")
	}
	stored, err := b.wipes.Receipt(ctx, b.tenant, uuid.MustParse(receipt.ReceiptID))
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Addenda) != 1 {
		t.Fatalf("%d addenda to the receipt, want 1", len(stored.Addenda))
	}
	a := stored.Addenda[0]
	pub, keyID, err := b.vault.ReceiptPublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a.KeyID != keyID || !idv.VerifyReceipt(pub, a.Statement, a.Signature) {
		t.Fatalf("the addendum signed by %s does not verify with the receipt key %s", a.KeyID, keyID)
	}
	parsed, err := idv.ParseAddendum(a.Statement)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Amends != receipt.ReceiptID || parsed.SessionID != s.id.String() || parsed.TenantID != b.tenant.String() ||
		parsed.ObjectsDeleted != 1 || parsed.AddendumID != a.ID.String() || parsed.Statement != schemas.AddendumStatement {
		t.Fatalf("addendum %+v, want one object deleted under receipt %s", parsed, receipt.ReceiptID)
	}
	b.assertNoPersonalData(t, s, "the addendum", a.Statement, s.id, b.tenant, a.ID, uuid.MustParse(receipt.ReceiptID))
	ev.NumDelivered = 2
	if err := b.stage.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if n := audits(); n != 1 {
		t.Fatalf("%d late_objects_deleted audit entries after a sweep that found nothing, want 1", n)
	}
	if n := b.count(t, `SELECT count(*) FROM deletion_addenda WHERE session_id = $1`, s.id); n != 1 {
		t.Fatalf("%d addenda after a sweep that found nothing, want 1", n)
	}
}

// stageEvent is ev as the relay delivers it.
func stageEvent(t *testing.T, ev idv.Event) stage.Event {
	t.Helper()
	body, err := json.Marshal(ev.Body)
	if err != nil {
		t.Fatal(err)
	}
	return stage.Event{Subject: ev.Subject, Type: ev.Type, MsgID: ev.MsgID, Time: time.Now(), Data: body, NumDelivered: 1}
}
