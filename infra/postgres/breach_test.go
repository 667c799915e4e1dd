package postgres_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// TestBreachRegister: a breach's scope (window, tenants, stages) is turned
// into affected tenants, counts and categories from IDV's own records; a
// notice needs every art. 33(3) content; notifying queues one schema-valid
// event and one audit entry per affected tenant; the overdue count sees a
// breach un-notified 24 hours after it was opened (the clock moved).
func TestBreachRegister(t *testing.T) {
	t.Parallel()
	b := setupRetention(t)
	ctx := idv.WithActor(t.Context(), idv.ActorOperator)
	other, untouched := b.newTenant(t), b.newTenant(t)
	start := b.now.Add(-6 * time.Hour)
	for range 3 {
		b.newSession(t, b.tenant, start.Add(time.Hour), 7) // in the window
	}
	b.newSession(t, other, start.Add(2*time.Hour), 7)
	b.newSession(t, untouched, b.now.Add(time.Hour), 7) // after the window
	gone, _ := b.newSession(t, other, start.Add(-48*time.Hour), 7)
	b.wiped(t, gone, start.Add(-time.Hour)) // deleted before the window

	breaches := postgres.NewBreaches(b.db.DB)
	if _, _, err := breaches.Open(ctx, idv.Breach{OpenedAt: b.now, WindowStart: start, WindowEnd: b.now,
		Stages: []string{"moon"}, Nature: "n", Contact: "c"}); err == nil {
		t.Fatal("an unknown stage was accepted")
	}
	br, affected, err := breaches.Open(ctx, idv.Breach{OpenedAt: b.now, WindowStart: start, WindowEnd: b.now,
		Stages: []string{schemas.BreachStorage}, Nature: "Capture bucket listed publicly for six hours",
		Contact: "privacy@verifier.example"})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[uuid.UUID]int{}
	for _, a := range affected {
		counts[a.TenantID] = a.Sessions
		if !slices.Equal(a.Categories, []string{schemas.DataDocumentImages, schemas.DataMRZ}) {
			t.Errorf("categories of %s: %v (no face check ran, so no selfies)", a.TenantID, a.Categories)
		}
	}
	if len(counts) != 2 || counts[b.tenant] != 3 || counts[other] != 1 {
		t.Fatalf("affected %+v, want 3 sessions of the tenant and 1 of the other", affected)
	}
	if _, _, err := breaches.Notify(ctx, br.ID, b.now, idv.BreachNotice); !errors.Is(err, idv.ErrBreachIncomplete) {
		t.Fatalf("a notice without consequences and measures: %v", err)
	}
	day := b.now.Add(25 * time.Hour)
	if n, err := breaches.Unnotified(ctx, day, 24*time.Hour); err != nil || n != 1 {
		t.Errorf("unnotified after 25 h: %d, %v", n, err)
	}
	if n, _ := breaches.Unnotified(ctx, b.now.Add(time.Hour), 24*time.Hour); n != 0 {
		t.Errorf("unnotified after 1 h counts as overdue: %d", n)
	}
	// Narrow the scope to one tenant and add what the notice needs.
	_, affected, err = breaches.Update(ctx, br.ID, b.now.Add(time.Hour), func(x *idv.Breach) {
		x.Tenants = []uuid.UUID{b.tenant}
		x.Consequences = "Document photos could have been downloaded; they are sealed, so unreadable without keys."
		x.Measures = "Bucket policy restored; access logs reviewed; no downloads found."
	})
	if err != nil || len(affected) != 1 || affected[0].TenantID != b.tenant {
		t.Fatalf("after update: %+v, %v", affected, err)
	}
	round, notified, err := breaches.Notify(ctx, br.ID, b.now.Add(2*time.Hour), idv.BreachNotice)
	if err != nil || round != 1 || len(notified) != 1 {
		t.Fatalf("notify: round %d, %+v, %v", round, notified, err)
	}
	if n, _ := breaches.Unnotified(ctx, day, 24*time.Hour); n != 0 {
		t.Errorf("unnotified after notice: %d", n)
	}
	var bodies [][]byte
	if err := b.db.Select(&bodies, `SELECT body FROM outbox WHERE type = $1`, schemas.TypeBreachNotified); err != nil || len(bodies) != 1 {
		t.Fatalf("outbox: %d events, %v", len(bodies), err)
	}
	if err := schemas.ValidateEvent(schemas.TypeBreachNotified, bodies[0]); err != nil {
		t.Error(err)
	}
	evs, _ := postgres.NewAudit(b.db.DB).List(t.Context(), b.tenant, 0, 10)
	if len(evs) != 1 || evs[0].Action != idv.AuditBreachNotified || evs[0].Detail["sessions"] != "3" ||
		evs[0].Detail["categories"] != "identity_document_images,machine_readable_zone" {
		t.Errorf("audit %+v", evs)
	}
	if evs, _ := postgres.NewAudit(b.db.DB).List(t.Context(), other, 0, 10); len(evs) != 0 {
		t.Errorf("the tenant out of scope was notified: %+v", evs)
	}
	// An update and a second round reach the same tenant again.
	if round, _, err := breaches.Notify(ctx, br.ID, b.now.Add(3*time.Hour), idv.BreachNotice); err != nil || round != 2 {
		t.Errorf("second round: %d, %v", round, err)
	}
}
