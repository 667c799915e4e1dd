package postgres_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
)

// TestSupportGrantEndsByItself: a grant allows reads of its tenant's
// sessions only while it lives; at expires_at (the clock moved, nobody
// acting) it stops; each read, and nothing else, leaves an audit entry;
// grants beyond 24 hours are refused by the store and by the database.
func TestSupportGrantEndsByItself(t *testing.T) {
	t.Parallel()
	b := setupRetention(t)
	ctx := idv.WithActor(t.Context(), idv.ActorOperator)
	support := postgres.NewSupport(b.db.DB)
	other := b.newTenant(t)
	mine, _ := b.newSession(t, b.tenant, b.now, 7)
	theirs, _ := b.newSession(t, other, b.now, 7)
	b.decide(t, mine, b.now)

	if _, err := support.Grant(ctx, b.tenant, "alice", "ticket 4711", 25*time.Hour, b.now); err == nil {
		t.Fatal("a 25-hour grant was accepted")
	}
	if _, err := b.db.Exec(`INSERT INTO support_grants VALUES ($1, $2, 'alice', 'r', $3, $4, NULL)`,
		uuid.New(), b.tenant, b.now, b.now.Add(25*time.Hour)); err == nil {
		t.Fatal("the database accepted a 25-hour grant")
	}
	g, err := support.Grant(ctx, b.tenant, "alice", "ticket 4711", 2*time.Hour, b.now)
	if err != nil {
		t.Fatal(err)
	}
	_, sess, _, err := support.ReadSession(ctx, g.ID, mine, b.now.Add(time.Hour))
	if err != nil || sess.ID != mine || sess.Decision == nil || *sess.Decision != "approved" {
		t.Fatalf("read within the grant: %+v, %v", sess, err)
	}
	if _, _, _, err := support.ReadSession(ctx, g.ID, theirs, b.now.Add(time.Hour)); !errors.Is(err, idv.ErrNotFound) {
		t.Errorf("read of another tenant's session: %v, want not found", err)
	}
	live, err := support.Live(ctx, b.now.Add(time.Hour))
	if err != nil || len(live) != 1 || live[0].ID != g.ID {
		t.Errorf("live grants an hour in: %+v, %v", live, err)
	}
	// Two hours on, the grant has ended by itself.
	later := b.now.Add(2 * time.Hour)
	if _, _, _, err := support.ReadSession(ctx, g.ID, mine, later); !errors.Is(err, postgres.ErrGrantEnded) {
		t.Errorf("read at expiry: %v, want ErrGrantEnded", err)
	}
	if live, _ := support.Live(ctx, later); len(live) != 0 {
		t.Errorf("live grants at expiry: %+v", live)
	}
	if _, err := support.Revoke(ctx, g.ID, later); !errors.Is(err, postgres.ErrGrantEnded) {
		t.Errorf("revoking an expired grant: %v", err)
	}

	// Revocation ends a grant early.
	g2, _ := support.Grant(ctx, b.tenant, "bob", "ticket 4712", time.Hour, b.now)
	if _, err := support.Revoke(ctx, g2.ID, b.now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := support.ReadSession(ctx, g2.ID, mine, b.now.Add(2*time.Minute)); !errors.Is(err, postgres.ErrGrantEnded) {
		t.Errorf("read after revocation: %v", err)
	}

	evs, err := postgres.NewAudit(b.db.DB).List(t.Context(), b.tenant, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.Action+" "+e.Actor)
	}
	want := []string{"support_access_granted operator:cli", "support_session_read support:alice",
		"support_access_granted operator:cli", "support_access_revoked operator:cli"}
	if len(got) != len(want) {
		t.Fatalf("audit %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("audit entry %d: %s, want %s", i, got[i], want[i])
		}
	}
	if evs[1].SessionID == nil || *evs[1].SessionID != mine || evs[1].Detail["grant_id"] != g.ID.String() {
		t.Errorf("read entry %+v", evs[1])
	}
	if evs[0].Detail["expires_unix"] != itoa(g.ExpiresAt.Unix()) || evs[0].Detail["support_user"] != "alice" {
		t.Errorf("grant entry %+v", evs[0])
	}
	if evs, _ := postgres.NewAudit(b.db.DB).List(t.Context(), other, 0, 100); len(evs) != 0 {
		t.Errorf("the refused cross-tenant read left entries for the other tenant: %+v", evs)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
