package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// addSession stores a decided session of tenant, as the pipeline would
// leave it, for commands that read sessions.
func (a *adminSetup) addSession(tenant string) string {
	a.t.Helper()
	id, tid := uuid.New(), uuid.MustParse(tenant)
	now := time.Now().UTC().Truncate(time.Microsecond)
	expires := schemas.ExpiresAt(now, 7)
	err := postgres.NewSessions(a.db.DB).Create(context.Background(), idv.Session{ID: id, TenantID: tid,
		Status: idv.StatusCreated, Checks: []string{schemas.CheckDocument}, SelfieFrames: 1, RetentionDays: 7,
		CreatedAt: now, ExpiresAt: expires, AppTokenHash: make([]byte, 32), AppTokenExpiresAt: now.Add(time.Hour)},
		idv.WrappedKey{SessionID: id, TenantID: tid, Epoch: expires, PublicKey: []byte("pk"), Wrapped: []byte("wrapped")})
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.db.Exec(`UPDATE sessions SET status = 'decided', decision = 'declined', decided_at = now() WHERE session_id = $1`, id); err != nil {
		a.t.Fatal(err)
	}
	return id.String()
}

// TestSupportCommands: grant, list, read within the grant (recorded), the
// grant's end moved into the past (a moved clock, no sleeping) refuses
// the read, revoke ends a grant, and no grant lasts over 24 hours.
func TestSupportCommands(t *testing.T) {
	a := newAdminSetup(t, "Acme")
	tenant := a.tenants[0]
	session := a.addSession(tenant)
	if _, err := a.try("support", "grant", "--tenant", tenant, "--user", "alice", "--reason", "ticket 4711", "--hours", "25"); err == nil {
		t.Fatal("a 25-hour grant was accepted")
	}
	out := a.run("support", "grant", "--tenant", tenant, "--user", "alice", "--reason", "ticket 4711", "--hours", "2")
	m := regexp.MustCompile(`grant ([0-9a-f-]{36}): alice may read`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("grant printed: %s", out)
	}
	grant := m[1]
	if out := a.run("support", "list"); !strings.Contains(out, grant) || !strings.Contains(out, "ticket 4711") {
		t.Errorf("list: %s", out)
	}
	out = a.run("support", "read-session", "--grant", grant, "--session", session)
	if !strings.Contains(out, "decision: declined") || !strings.Contains(out, "recorded in the tenant's audit log") {
		t.Errorf("read-session: %s", out)
	}
	// Move the clock past the grant's end: the grant was given 3 hours ago.
	if _, err := a.db.Exec(`UPDATE support_grants SET granted_at = granted_at - interval '3 hours',
		expires_at = expires_at - interval '3 hours' WHERE grant_id = $1`, grant); err != nil {
		t.Fatal(err)
	}
	if out, err := a.try("support", "read-session", "--grant", grant, "--session", session); err == nil ||
		!strings.Contains(err.Error(), "expired or was revoked") {
		t.Errorf("read after expiry: %v\n%s", err, out)
	}
	if out := a.run("support", "list"); !strings.Contains(out, "no live support grants") {
		t.Errorf("list after expiry: %s", out)
	}
	out = a.run("support", "grant", "--tenant", tenant, "--user", "bob", "--reason", "ticket 4712")
	grant2 := regexp.MustCompile(`grant ([0-9a-f-]{36})`).FindStringSubmatch(out)[1]
	a.run("support", "revoke", "--grant", grant2)
	if _, err := a.try("support", "read-session", "--grant", grant2, "--session", session); err == nil {
		t.Error("read under a revoked grant")
	}
	evs, err := postgres.NewAudit(a.db.DB).List(context.Background(), uuid.MustParse(tenant), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); got != "support_access_granted,support_session_read,support_access_granted,support_access_revoked" {
		t.Errorf("audit: %s", got)
	}
	if out := a.run("audit", "verify", "--tenant", tenant); !strings.Contains(out, "4 audit entries, chain OK") {
		t.Errorf("verify: %s", out)
	}
}
