package idv_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

func body(t testing.TB, ev idv.Event) []byte {
	b, err := json.Marshal(ev.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every constructor's event decodes back to its ids with its own type and
// subject, and its body matches the type's JSON Schema.
func TestEventsRoundTrip(t *testing.T) {
	t.Parallel()
	tenant, session, other := uuid.New(), uuid.New(), uuid.New()
	at := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	sess := idv.Session{ID: session, TenantID: tenant, Checks: []string{schemas.CheckDocument}}
	result := idv.Result{SessionID: session, TenantID: tenant, Check: schemas.CheckDocument,
		Outcome: schemas.OutcomePassed, Reasons: []string{}}
	for _, ev := range []idv.Event{
		idv.SubmittedEvent(sess, at),
		result.CompletedEvent(),
		idv.DecidedEvent(tenant, session, schemas.DecisionApproved, at, 1),
		idv.ExpiredEvent(tenant, session, schemas.WipeExpired, at, at),
		idv.DeletedEvent(tenant, session, other, schemas.WipeExpired, at),
		idv.DSRReceivedEvent(other, tenant, session, schemas.DSRAccess, at),
	} {
		gotTenant, gotSession, err := idv.SessionIDs(ev.Type, ev.Type, ev.Subject, body(t, ev))
		if err != nil {
			t.Errorf("%s: %v", ev.Type, err)
			continue
		}
		if gotTenant != tenant || gotSession != session {
			t.Errorf("%s: ids %s %s, want %s %s", ev.Type, gotTenant, gotSession, tenant, session)
		}
		if ev.TenantID != tenant || ev.MsgID == "" {
			t.Errorf("%s: tenant %s, msg id %q", ev.Type, ev.TenantID, ev.MsgID)
		}
	}
	notice := idv.BreachNotifiedEvent(schemas.BreachNotified{BreachID: other.String(), TenantID: tenant.String(), Round: 2,
		Nature: "n", Consequences: "c", Measures: "m", Contact: "x", Categories: []string{"document_images"},
		Stages: []string{"doccheck"}, WindowStart: at, WindowEnd: at, DetectedAt: at, NotifiedAt: at})
	if got, err := idv.DecodeEvent[schemas.BreachNotified](notice.Type, notice.Type, notice.Subject, body(t, notice)); err != nil ||
		got.TenantID != tenant || got.About != other.String() || got.Body.Round != 2 {
		t.Errorf("breach notice: %+v, %v", got, err)
	}
	sp := idv.SubprocessorAnnouncedEvent("object-store", tenant, "2027-01-01", at)
	if got, err := idv.DecodeEvent[schemas.SubprocessorAnnounced](sp.Type, "", sp.Subject, body(t, sp)); err != nil ||
		got.About != "object-store" || got.SessionID != uuid.Nil {
		t.Errorf("sub-processor announcement: %+v, %v", got, err)
	}
	cp := idv.AuditCheckpointEvent(idv.StoredCheckpoint{ID: other, TenantID: tenant, Seq: 42, CreatedAt: at})
	if got, err := idv.DecodeEvent[schemas.AuditCheckpointStored](cp.Type, cp.Type, cp.Subject, body(t, cp)); err != nil ||
		got.TenantID != tenant || got.About != tenant.String() || got.Body.CheckpointID != other.String() || got.Body.Seq != 42 ||
		got.SessionID != uuid.Nil || cp.MsgID != schemas.MsgID(schemas.TypeAuditCheckpoint, other.String()) {
		t.Errorf("audit checkpoint: %+v %q, %v", got, cp.MsgID, err)
	}
	// The subject is the tenant's: a checkpoint id there, or another
	// tenant's, does not decode.
	for _, subject := range []string{schemas.Subject(cp.Type, other.String()), schemas.Subject(cp.Type, uuid.NewString())} {
		if _, err := idv.DecodeEvent[struct{}](cp.Type, cp.Type, subject, body(t, cp)); !errors.Is(err, idv.ErrMalformedEvent) {
			t.Errorf("audit checkpoint on %s: %v, want ErrMalformedEvent", subject, err)
		}
	}
}

// Message ids: one per entity, per check, per tenant and round.
func TestEventMessageIDs(t *testing.T) {
	t.Parallel()
	tenant, session := uuid.New(), uuid.New()
	doc := idv.Result{SessionID: session, TenantID: tenant, Check: schemas.CheckDocument}.CompletedEvent()
	face := idv.Result{SessionID: session, TenantID: tenant, Check: schemas.CheckFace}.CompletedEvent()
	if doc.MsgID == face.MsgID || doc.Subject != face.Subject {
		t.Errorf("check results: msg ids %q and %q, subjects %q and %q", doc.MsgID, face.MsgID, doc.Subject, face.Subject)
	}
	n1 := idv.BreachNotifiedEvent(schemas.BreachNotified{BreachID: session.String(), TenantID: tenant.String(), Round: 1})
	n2 := idv.BreachNotifiedEvent(schemas.BreachNotified{BreachID: session.String(), TenantID: tenant.String(), Round: 2})
	if n1.MsgID == n2.MsgID {
		t.Errorf("two rounds of a breach notice share msg id %q", n1.MsgID)
	}
	at := time.Now()
	if a, b := idv.DecidedEvent(tenant, session, schemas.DecisionApproved, at, 1), idv.DecidedEvent(tenant, session, schemas.DecisionReview, at, 1); a.MsgID != b.MsgID {
		t.Errorf("a session's decided events differ in msg id: %q, %q", a.MsgID, b.MsgID)
	}
}

func TestDecodeEventRefuses(t *testing.T) {
	t.Parallel()
	tenant, session := uuid.New(), uuid.New()
	ev := idv.ExpiredEvent(tenant, session, schemas.WipeExpired, time.Now(), time.Now())
	good := string(body(t, ev))
	swap := func(field, value string) string {
		var m map[string]any
		json.Unmarshal([]byte(good), &m)
		if value == "" {
			delete(m, field)
		} else {
			m[field] = value
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	for name, c := range map[string]struct{ typ, subject, body string }{
		"unknown type":               {"idv.session.unknown", ev.Subject, good},
		"other type header":          {schemas.TypeSessionDecided, ev.Subject, good},
		"subject of another type":    {ev.Type, schemas.Subject(schemas.TypeSessionDecided, session.String()), good},
		"subject of another session": {ev.Type, schemas.Subject(ev.Type, uuid.NewString()), good},
		"subject without id":         {ev.Type, ev.Type + ".", good},
		"subject with dots":          {ev.Type, ev.Subject + ".x", good},
		"not JSON":                   {ev.Type, ev.Subject, "{"},
		"no session":                 {ev.Type, ev.Subject, swap("session_id", "")},
		"tenant not a UUID":          {ev.Type, ev.Subject, swap("tenant_id", "acme")},
		"nil tenant":                 {ev.Type, ev.Subject, swap("tenant_id", uuid.Nil.String())},
		"unknown reason":             {ev.Type, ev.Subject, swap("reason", "because")},
		"extra field":                {ev.Type, ev.Subject, swap("name", "Jan Jansen")},
	} {
		typ := ev.Type
		if c.typ != ev.Type {
			typ = c.typ
		}
		decodeAs := ev.Type
		if name == "unknown type" {
			decodeAs = c.typ
		}
		_, _, err := idv.SessionIDs(decodeAs, typ, c.subject, []byte(c.body))
		if !errors.Is(err, idv.ErrMalformedEvent) {
			t.Errorf("%s: err = %v, want ErrMalformedEvent", name, err)
		}
		// The errors are logged: they name where a body is wrong, never
		// what it holds there.
		if err != nil && (strings.Contains(err.Error(), "Jan Jansen") || strings.Contains(err.Error(), "because") ||
			strings.Contains(err.Error(), "acme")) {
			t.Errorf("%s: the error repeats the body's value: %v", name, err)
		}
	}
}

// FuzzDecodeEvent: whatever arrives on the broker, decoding returns the ids
// or ErrMalformedEvent, never a nil id and never a panic.
func FuzzDecodeEvent(f *testing.F) {
	tenant, session := uuid.New(), uuid.New()
	ev := idv.ExpiredEvent(tenant, session, schemas.WipeExpired, time.Now(), time.Now())
	f.Add(ev.Subject, body(f, ev))
	f.Add(ev.Subject, []byte(`{"session_id":"00000000-0000-0000-0000-000000000000"}`))
	f.Add("idv.session.expired.x", []byte(`[]`))
	f.Fuzz(func(t *testing.T, subject string, data []byte) {
		tn, sn, err := idv.SessionIDs(schemas.TypeSessionExpired, "", subject, data)
		if err != nil {
			if !errors.Is(err, idv.ErrMalformedEvent) {
				t.Fatalf("err %v does not wrap ErrMalformedEvent", err)
			}
			return
		}
		if tn == uuid.Nil || sn == uuid.Nil || subject != schemas.Subject(schemas.TypeSessionExpired, sn.String()) {
			t.Fatalf("decoded %s %s from subject %q", tn, sn, subject)
		}
	})
}

// BenchmarkDecodeEvent is what every stage pays per delivered event.
func BenchmarkDecodeEvent(b *testing.B) {
	ev := idv.ExpiredEvent(uuid.New(), uuid.New(), schemas.WipeExpired, time.Now(), time.Now())
	data := body(b, ev)
	for b.Loop() {
		if _, _, err := idv.SessionIDs(ev.Type, ev.Type, ev.Subject, data); err != nil {
			b.Fatal(err)
		}
	}
}
