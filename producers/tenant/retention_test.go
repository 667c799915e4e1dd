package tenant_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/credential"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/producers/tenant"
	"github.com/idv-oss/idv/schemas"
)

// retentionFixture is a tenant on 28 days with three sessions, their keys
// made by the vault, as the API makes them.
type retentionFixture struct {
	db       *sqlx.DB
	v        *vault.Vault
	tenants  *postgres.Tenants
	sessions *postgres.Sessions
	tenantID uuid.UUID
	now      time.Time
	ids      []uuid.UUID
}

func newRetentionFixture(t *testing.T) retentionFixture {
	t.Helper()
	ctx := context.Background()
	db := pgtest.NewDB(t, schemas.MainMigrations())
	keys := pgtest.NewDB(t, schemas.KeyStoreMigrations())
	master, _ := vault.ParseMasterKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	f := retentionFixture{db: db, v: vault.New(master, keys.DB), tenants: postgres.NewTenants(db.DB),
		sessions: postgres.NewSessions(db.DB), now: time.Now().UTC().Truncate(time.Microsecond)}
	c, err := tenant.Create(ctx, f.tenants, f.v, tenant.Request{Name: "Acme", WebhookURL: "https://acme.example/", RetentionDays: 28})
	if err != nil {
		t.Fatal(err)
	}
	f.tenantID = c.TenantID
	for range 3 {
		id := uuid.New()
		expires := schemas.ExpiresAt(f.now, 28)
		wk, err := f.v.NewSessionKey(ctx, c.TenantID, id, expires)
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := credential.New(credential.AppToken, "00")
		if err := f.sessions.Create(ctx, idv.Session{ID: id, TenantID: c.TenantID, Status: idv.StatusCreated,
			Checks: []string{"document"}, SelfieFrames: 1, RetentionDays: 28, CreatedAt: f.now, ExpiresAt: expires,
			AppTokenHash: tok.Hash(), AppTokenExpiresAt: f.now.Add(time.Hour)}, wk); err != nil {
			t.Fatal(err)
		}
		f.ids = append(f.ids, id)
	}
	return f
}

func TestLoweringRetentionShortensAndRekeysSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newRetentionFixture(t)
	tenants, sessions, v, now, ids := f.tenants, f.sessions, f.v, f.now, f.ids
	oldEpoch := schemas.ExpiresAt(now, 28)

	if _, err := tenant.SetRetention(ctx, tenants, sessions, v, f.tenantID, 29); !errors.Is(err, tenant.ErrInvalid) {
		t.Fatalf("retention 29: %v", err)
	}
	n, err := tenant.SetRetention(ctx, tenants, sessions, v, f.tenantID, 3)
	if err != nil || n != 3 {
		t.Fatalf("shortened %d: %v", n, err)
	}
	if got, _ := tenants.Get(ctx, f.tenantID); got.RetentionDays != 3 {
		t.Fatalf("tenant retention %d", got.RetentionDays)
	}
	newEpoch := schemas.ExpiresAt(now, 3)
	// The old hour's key no longer matters; the new hour's key opens them all.
	if err := v.DestroyEpoch(ctx, f.tenantID, oldEpoch); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		sess, err := sessions.Get(ctx, f.tenantID, id)
		if err != nil || !sess.ExpiresAt.Equal(newEpoch) || sess.RetentionDays != 3 {
			t.Fatalf("session %s: expires %v retention %d (%v)", id, sess.ExpiresAt, sess.RetentionDays, err)
		}
		k, err := sessions.Key(ctx, f.tenantID, id)
		if err != nil || !k.Epoch.Equal(newEpoch) {
			t.Fatalf("key of %s under epoch %v: %v", id, k.Epoch, err)
		}
		if _, err := v.Unwrap(ctx, idv.WrappedKey{TenantID: f.tenantID, SessionID: id, Epoch: k.Epoch,
			PublicKey: k.PublicKey, Wrapped: k.Wrapped}); err != nil {
			t.Fatalf("re-wrapped key of %s does not open: %v", id, err)
		}
	}
	// Destroying the new hour's key now makes them all unopenable.
	if err := v.DestroyEpoch(ctx, f.tenantID, newEpoch); err != nil {
		t.Fatal(err)
	}
	k, _ := sessions.Key(ctx, f.tenantID, ids[0])
	if _, err := v.Unwrap(ctx, idv.WrappedKey{TenantID: f.tenantID, SessionID: ids[0], Epoch: k.Epoch,
		PublicKey: k.PublicKey, Wrapped: k.Wrapped}); !errors.Is(err, idv.ErrEpochDestroyed) {
		t.Fatalf("after destroying the new epoch: %v", err)
	}
	// Raising the retention changes no existing session.
	if n, err := tenant.SetRetention(ctx, tenants, sessions, v, f.tenantID, 10); err != nil || n != 0 {
		t.Fatalf("raising: %d %v", n, err)
	}
}

// failingRewrap is the vault with its key store failing from the second
// re-wrap on, as a key store that stops answering part-way would.
type failingRewrap struct {
	*vault.Vault
	calls int
}

func (f *failingRewrap) Rewrap(ctx context.Context, k idv.WrappedKey, expires time.Time) (idv.WrappedKey, error) {
	f.calls++
	if f.calls > 1 {
		return idv.WrappedKey{}, errors.New("key store: connection refused")
	}
	return f.Vault.Rewrap(ctx, k, expires)
}

// Lowering a retention that fails part-way is finished by a retry of the
// same change (PATCH /v1/policy again): every session ends on the new
// retention, re-keyed, and the tenant's audit log has one
// retention_changed.
func TestLoweringRetentionIsSafeToRetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newRetentionFixture(t)
	tenants, sessions, v, now, ids, db := f.tenants, f.sessions, f.v, f.now, f.ids, f.db
	days := 3
	change := schemas.PolicyChange{RetentionDays: &days}
	broken := tenant.Policies{Tenants: tenants, Sessions: sessions, Keys: &failingRewrap{Vault: v}}
	if _, err := broken.Update(ctx, f.tenantID, change); err == nil {
		t.Fatal("a change whose key store failed part-way reported success")
	}
	shortened := func() int {
		n := 0
		for _, id := range ids {
			if s, err := sessions.Get(ctx, f.tenantID, id); err == nil && s.RetentionDays == days {
				n++
			}
		}
		return n
	}
	if n := shortened(); n != 1 {
		t.Fatalf("%d sessions shortened before the failure, want 1 (the test shows nothing otherwise)", n)
	}
	if _, err := (tenant.Policies{Tenants: tenants, Sessions: sessions, Keys: v}).Update(ctx, f.tenantID, change); err != nil {
		t.Fatalf("retry: %v", err)
	}
	newEpoch := schemas.ExpiresAt(now, days)
	for _, id := range ids {
		s, err := sessions.Get(ctx, f.tenantID, id)
		k, kerr := sessions.Key(ctx, f.tenantID, id)
		if err != nil || kerr != nil || s.RetentionDays != days || !s.ExpiresAt.Equal(newEpoch) || !k.Epoch.Equal(newEpoch) {
			t.Fatalf("session %s after the retry: retention %d, expires %v, key epoch %v (%v, %v)",
				id, s.RetentionDays, s.ExpiresAt, k.Epoch, err, kerr)
		}
		if _, err := v.Unwrap(ctx, k); err != nil {
			t.Fatalf("re-wrapped key of %s does not open: %v", id, err)
		}
	}
	var changes int
	if err := db.Get(&changes, `SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action = $2`,
		f.tenantID, idv.AuditRetentionChanged); err != nil || changes != 1 {
		t.Fatalf("%d retention_changed entries (%v), want 1", changes, err)
	}
}
