package postgres_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/schemas"
)

// TestNotices: each read returns what the tenant's rows hold, as the other
// stores wrote them, and another tenant's, or nothing at all, is
// ErrNotFound. The reads run over a pool opened as the services open
// theirs (postgres.OpenApp), so row-level security holds them.
func TestNotices(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	owner, url := pgtest.NewDBURL(t, schemas.MainMigrations())
	app, err := postgres.OpenApp(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	f := &wipeFixture{db: owner, wipes: postgres.NewWipes(owner.DB), now: time.Now().UTC().Truncate(time.Microsecond)}
	f.tenant, f.other = f.newTenant(t), f.newTenant(t)
	f.session = f.newSession(t, f.tenant)
	notices := postgres.NewNotices(app)
	notFound := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, idv.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", what, err)
		}
	}

	t.Run("decision", func(t *testing.T) {
		d, err := notices.Decision(ctx, f.tenant, f.session)
		if err != nil || d.Decision != "" || !d.DecidedAt.IsZero() || d.Attempt != 1 {
			t.Fatalf("undecided: %+v, %v", d, err)
		}
		at := f.now.Add(-time.Hour)
		s := idv.Session{ID: f.session, TenantID: f.tenant, Attempt: 1, Checks: []string{schemas.CheckDocument}}
		if err := postgres.NewSessions(owner.DB).Submit(ctx, f.tenant, f.session, 1, at, idv.SubmittedEvent(s, at)); err != nil {
			t.Fatal(err)
		}
		if _, err := idv.Decide(ctx, postgres.NewDecisions(owner.DB), f.tenant, f.session, at); err != nil {
			t.Fatal(err)
		}
		d, err = notices.Decision(ctx, f.tenant, f.session)
		if err != nil || d.Decision != idv.DecisionApproved || !d.DecidedAt.Equal(at) || d.Attempt != 1 {
			t.Fatalf("decided: %+v, %v", d, err)
		}
		_, err = notices.Decision(ctx, f.other, f.session)
		notFound("another tenant's session", err)
		_, err = notices.Decision(ctx, f.tenant, uuid.New())
		notFound("no such session", err)
	})

	t.Run("deletion", func(t *testing.T) {
		receipt, at, err := notices.Deletion(ctx, f.tenant, f.session)
		if err != nil || receipt != uuid.Nil || !at.IsZero() {
			t.Fatalf("not wiped: %s %v, %v", receipt, at, err)
		}
		f.requestWipe(t)
		if _, _, err := f.wipes.DestroySessionKey(ctx, f.tenant, f.session, f.now); err != nil {
			t.Fatal(err)
		}
		if receipt, _, err := notices.Deletion(ctx, f.tenant, f.session); err != nil || receipt != uuid.Nil {
			t.Fatalf("wipe under way: %s, %v", receipt, err)
		}
		id := uuid.New()
		if err := f.wipes.FinishWipe(ctx, f.tenant, f.session, f.now, f.receipt(id, f.captures), f.deletedEvent(id, f.now)); err != nil {
			t.Fatal(err)
		}
		receipt, at, err = notices.Deletion(ctx, f.tenant, f.session)
		if err != nil || receipt != id || !at.Equal(f.now) {
			t.Fatalf("wiped: %s %v, %v; want %s %v", receipt, at, err, id, f.now)
		}
		_, _, err = notices.Deletion(ctx, f.other, f.session)
		notFound("another tenant's session", err)
	})

	t.Run("breach", func(t *testing.T) {
		breaches := postgres.NewBreaches(app)
		b, _, err := breaches.Open(ctx, idv.Breach{OpenedAt: f.now, WindowStart: f.createdAt.Add(-time.Hour),
			WindowEnd: f.now.Add(time.Minute), Tenants: []uuid.UUID{f.tenant}, Stages: []string{schemas.BreachDatabase},
			Nature: "Replica exposed", Consequences: "Results could be read.", Measures: "Replica removed.",
			Contact: "dpo@verifier.example"})
		if err != nil {
			t.Fatal(err)
		}
		_, a, err := notices.BreachNotice(ctx, f.tenant, b.ID)
		if err != nil || a.NotifiedRound != 0 || a.NotifiedAt != nil || a.Sessions != 1 {
			t.Fatalf("before the notice: %+v, %v", a, err)
		}
		at := f.now.Add(time.Second)
		if _, _, err := breaches.Notify(ctx, b.ID, at, idv.BreachNotice); err != nil {
			t.Fatal(err)
		}
		got, a, err := notices.BreachNotice(ctx, f.tenant, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		list, affected, err := breaches.List(ctx)
		if err != nil || len(list) != 1 || len(affected[b.ID]) != 1 {
			t.Fatalf("register: %+v %+v, %v", list, affected, err)
		}
		want, wantA := list[0], affected[b.ID][0]
		if got.ID != want.ID || got.Nature != want.Nature || got.Consequences != want.Consequences ||
			got.Measures != want.Measures || got.Contact != want.Contact || !slices.Equal(got.Stages, want.Stages) ||
			!got.WindowStart.Equal(want.WindowStart) || !got.WindowEnd.Equal(want.WindowEnd) ||
			!got.OpenedAt.Equal(want.OpenedAt) || got.Rounds != 1 {
			t.Errorf("breach %+v, want %+v", got, want)
		}
		if a.TenantID != f.tenant || a.Sessions != wantA.Sessions || !slices.Equal(a.Categories, wantA.Categories) ||
			a.NotifiedRound != 1 || a.NotifiedAt == nil || !a.NotifiedAt.Equal(at) {
			t.Errorf("affected %+v, want %+v notified at %v", a, wantA, at)
		}
		_, _, err = notices.BreachNotice(ctx, f.other, b.ID)
		notFound("a tenant the breach does not touch", err)
		_, _, err = notices.BreachNotice(ctx, f.tenant, uuid.New())
		notFound("no such breach", err)
	})

	t.Run("announcement", func(t *testing.T) {
		at := f.now.Add(2 * time.Second)
		sp := schemas.Subprocessor{ID: "ocr-cloud", Name: "OCR Cloud GmbH", Purpose: "MRZ reading", Country: "DE",
			EffectiveDate: "2027-01-01"}
		if _, err := postgres.NewSubprocessors(app).Sync(ctx, []schemas.Subprocessor{sp}, at, idv.SubprocessorAnnouncedEvent); err != nil {
			t.Fatal(err)
		}
		effective, announced, err := notices.Announcement(ctx, f.tenant, sp.ID)
		if err != nil || effective != "2027-01-01" || !announced.Equal(at) {
			t.Fatalf("announcement: %s %v, %v", effective, announced, err)
		}
		_, _, err = notices.Announcement(ctx, f.tenant, "mail-us")
		notFound("an entry never announced", err)
		later := f.newTenant(t)
		_, _, err = notices.Announcement(ctx, later, sp.ID)
		notFound("a tenant created after the announcement", err)
	})

	t.Run("dsr", func(t *testing.T) {
		d := idv.DSR{ID: uuid.New(), TenantID: f.tenant, SessionID: f.session, Kind: schemas.DSRErasure,
			ReceivedAt: f.now.Add(3 * time.Second)}
		if err := idv.RecordDSR(ctx, postgres.NewDSRs(app), d); err != nil {
			t.Fatal(err)
		}
		got, err := notices.DSR(ctx, f.tenant, d.ID)
		if err != nil || got.ID != d.ID || got.TenantID != d.TenantID || got.SessionID != d.SessionID ||
			got.Kind != d.Kind || !got.ReceivedAt.Equal(d.ReceivedAt) {
			t.Fatalf("request %+v, %v; want %+v", got, err, d)
		}
		_, err = notices.DSR(ctx, f.other, d.ID)
		notFound("another tenant's request", err)
	})
}
