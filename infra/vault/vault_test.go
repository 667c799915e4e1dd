package vault

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// bundle is what an integration test needs: a migrated key store of its own
// and a vault over it.
type bundle struct {
	ctx    context.Context
	db     *sqlx.DB
	master MasterKey
	vault  *Vault
}

func setup(t *testing.T) *bundle {
	t.Helper()
	db := pgtest.NewDB(t, schemas.KeyStoreMigrations())
	master := testMasterKey(t)
	return &bundle{ctx: t.Context(), db: db, master: master, vault: New(master, db.DB)}
}

// hour returns a whole hour n hours from now, UTC.
func hour(n int) time.Time {
	return time.Now().UTC().Truncate(time.Hour).Add(time.Duration(n) * time.Hour)
}

// sealCapture seals a capture to k and returns the sealed bytes.
func sealCapture(t *testing.T, k idv.WrappedKey, plaintext string) []byte {
	t.Helper()
	sealed, err := seal.Seal(k.PublicKey, seal.CaptureInfo(k.SessionID, 1, "document_front", 0), []byte(plaintext))
	if err != nil {
		t.Fatal(err)
	}
	return sealed
}

// mustOpenCapture unwraps k with v and opens sealed, failing the test on error.
func mustOpenCapture(t *testing.T, v *Vault, k idv.WrappedKey, sealed []byte, want string) {
	t.Helper()
	sk, err := v.Unwrap(t.Context(), k)
	if err != nil {
		t.Fatalf("unwrap %s: %v", k.SessionID, err)
	}
	got, err := seal.Open(sk, seal.CaptureInfo(k.SessionID, 1, "document_front", 0), sealed)
	if err != nil {
		t.Fatalf("open capture of %s: %v", k.SessionID, err)
	}
	if string(got) != want {
		t.Fatalf("capture of %s opened to %q, want %q", k.SessionID, got, want)
	}
}

func (b *bundle) newKey(t *testing.T, tenant uuid.UUID, expiresAt time.Time) idv.WrappedKey {
	t.Helper()
	k, err := b.vault.NewSessionKey(b.ctx, tenant, uuid.New(), expiresAt)
	if err != nil {
		t.Fatalf("new session key: %v", err)
	}
	return k
}

func TestPing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if err := b.vault.Ping(b.ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	// A database without the key store migrations is not ready.
	if err := New(b.master, pgtest.NewDB(t).DB).Ping(b.ctx); err == nil {
		t.Fatal("ping succeeded on an unmigrated database")
	}
}

func TestSessionKeyRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tenant, session := uuid.New(), uuid.New()
	expires := hour(24 * 7).Add(37 * time.Minute).In(time.FixedZone("CEST", 2*3600))

	k, err := b.vault.NewSessionKey(b.ctx, tenant, session, expires)
	if err != nil {
		t.Fatal(err)
	}
	if k.TenantID != tenant || k.SessionID != session {
		t.Fatalf("wrapped key ids = %s/%s, want %s/%s", k.TenantID, k.SessionID, tenant, session)
	}
	if want := hour(24 * 7); !k.Epoch.Equal(want) || k.Epoch.Location() != time.UTC {
		t.Fatalf("epoch = %v, want %v in UTC", k.Epoch, want)
	}
	if len(k.Wrapped) != 12+32+16 {
		t.Fatalf("wrapped key is %d bytes, want nonce + 32-byte seed + tag", len(k.Wrapped))
	}

	sealed := sealCapture(t, k, "passport page")
	// Another process with the same master key and key store can open it.
	other := New(b.master, b.db.DB)
	mustOpenCapture(t, other, k, sealed, "passport page")
	sk, err := other.Unwrap(b.ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	if sk.TenantID() != tenant || sk.SessionID() != session || !bytes.Equal(sk.PublicKey(), k.PublicKey) {
		t.Fatal("session key does not report the ids and public key it was made with")
	}

	// Two sessions in the same hour share the epoch key but not a key pair.
	k2 := b.newKey(t, tenant, expires)
	if bytes.Equal(k2.PublicKey, k.PublicKey) {
		t.Fatal("two sessions got the same key pair")
	}
	if n := countEpochRows(t, b.db, tenant); n != 1 {
		t.Fatalf("%d epoch keys for one tenant-hour, want 1", n)
	}
}

func TestUnwrapRejectsAlteredWrappedKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tenant := uuid.New()
	k := b.newKey(t, tenant, hour(48))
	neighbour := b.newKey(t, tenant, hour(49)) // so the other epoch exists
	otherTenant := b.newKey(t, uuid.New(), hour(48))

	alter := func(f func(*idv.WrappedKey)) idv.WrappedKey {
		c := k
		c.PublicKey = bytes.Clone(k.PublicKey)
		c.Wrapped = bytes.Clone(k.Wrapped)
		f(&c)
		return c
	}
	tests := []struct {
		name string
		key  idv.WrappedKey
		want error
	}{
		{"other session", alter(func(c *idv.WrappedKey) { c.SessionID = uuid.New() }), ErrWrappedKey},
		{"other tenant", alter(func(c *idv.WrappedKey) { c.TenantID = otherTenant.TenantID }), ErrWrappedKey},
		{"other epoch", alter(func(c *idv.WrappedKey) { c.Epoch = neighbour.Epoch }), ErrWrappedKey},
		{"other public key", alter(func(c *idv.WrappedKey) { c.PublicKey = neighbour.PublicKey }), ErrWrappedKey},
		{"flipped bit", alter(func(c *idv.WrappedKey) { c.Wrapped[20] ^= 1 }), ErrWrappedKey},
		{"never created epoch", alter(func(c *idv.WrappedKey) { c.Epoch = hour(500) }), ErrEpochDestroyed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := b.vault.Unwrap(b.ctx, tt.key); !errors.Is(err, tt.want) {
				t.Fatalf("Unwrap error = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := b.vault.Unwrap(b.ctx, k); err != nil {
		t.Fatalf("unaltered key: %v", err)
	}
}

func TestDestroyEpoch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tenantA, tenantB := uuid.New(), uuid.New()
	doomed := hour(72)
	gone := b.newKey(t, tenantA, doomed.Add(10*time.Minute))
	gone2 := b.newKey(t, tenantA, doomed.Add(50*time.Minute))
	laterA := b.newKey(t, tenantA, doomed.Add(time.Hour))
	sameHourB := b.newKey(t, tenantB, doomed)
	sealedGone := sealCapture(t, gone, "A, doomed hour")
	sealedLater := sealCapture(t, laterA, "A, next hour")
	sealedB := sealCapture(t, sameHourB, "B, same hour")
	mustOpenCapture(t, b.vault, gone, sealedGone, "A, doomed hour")

	if err := b.vault.DestroyEpoch(b.ctx, tenantA, doomed); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	for _, k := range []idv.WrappedKey{gone, gone2} {
		if _, err := b.vault.Unwrap(b.ctx, k); !errors.Is(err, ErrEpochDestroyed) {
			t.Fatalf("unwrap after destroy: %v, want ErrEpochDestroyed", err)
		}
	}
	// With the master key at hand, nothing left in the key store opens the
	// destroyed hour: the row is there, its key material is not.
	var row struct {
		SealedKey   []byte     `db:"sealed_key"`
		DestroyedAt *time.Time `db:"destroyed_at"`
	}
	if err := b.db.GetContext(b.ctx, &row,
		`SELECT sealed_key, destroyed_at FROM epoch_keys WHERE tenant_id = $1 AND epoch = $2`, tenantA, doomed); err != nil {
		t.Fatal(err)
	}
	if row.SealedKey != nil || row.DestroyedAt == nil {
		t.Fatalf("destroyed row holds %d key bytes, destroyed_at %v", len(row.SealedKey), row.DestroyedAt)
	}
	if n := countEpochRows(t, b.db, tenantA); n != 2 {
		t.Fatalf("tenant A has %d epoch rows, want 2 (destroyed and next hour)", n)
	}
	if _, err := New(b.master, b.db.DB).Unwrap(b.ctx, gone); !errors.Is(err, ErrEpochDestroyed) {
		t.Fatalf("fresh vault with the master key: %v, want ErrEpochDestroyed", err)
	}

	// Other hours of the tenant and the same hour of other tenants live on.
	mustOpenCapture(t, b.vault, laterA, sealedLater, "A, next hour")
	mustOpenCapture(t, b.vault, sameHourB, sealedB, "B, same hour")

	// The hour is never created again.
	if _, err := b.vault.NewSessionKey(b.ctx, tenantA, uuid.New(), doomed.Add(5*time.Minute)); !errors.Is(err, ErrEpochDestroyed) {
		t.Fatalf("new session key in a destroyed hour: %v, want ErrEpochDestroyed", err)
	}

	// Idempotent, and the first destruction time stays.
	if err := b.vault.DestroyEpoch(b.ctx, tenantA, doomed.Add(30*time.Minute)); err != nil {
		t.Fatalf("destroy again: %v", err)
	}
	var destroyedAt time.Time
	if err := b.db.GetContext(b.ctx, &destroyedAt,
		`SELECT destroyed_at FROM epoch_keys WHERE tenant_id = $1 AND epoch = $2`, tenantA, doomed); err != nil {
		t.Fatal(err)
	}
	if !destroyedAt.Equal(*row.DestroyedAt) {
		t.Errorf("destroyed_at moved from %v to %v", *row.DestroyedAt, destroyedAt)
	}
}

func TestDestroyUnusedEpochBlocksIt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tenant := uuid.New()
	if err := b.vault.DestroyEpoch(b.ctx, tenant, hour(5)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.vault.NewSessionKey(b.ctx, tenant, uuid.New(), hour(5)); !errors.Is(err, ErrEpochDestroyed) {
		t.Fatalf("new session key: %v, want ErrEpochDestroyed", err)
	}
}

func TestKeyStoreRefusesToRestoreAnEpoch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tenant := uuid.New()
	b.newKey(t, tenant, hour(3))
	var sealed []byte
	if err := b.db.GetContext(b.ctx, &sealed, `SELECT sealed_key FROM epoch_keys WHERE tenant_id = $1`, tenant); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.ExecContext(b.ctx, `UPDATE epoch_keys SET sealed_key = $2 WHERE tenant_id = $1`, tenant,
		bytes.Repeat([]byte{1}, len(sealed))); err == nil {
		t.Fatal("key store let an epoch key be replaced")
	}
	if err := b.vault.DestroyEpoch(b.ctx, tenant, hour(3)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.ExecContext(b.ctx,
		`UPDATE epoch_keys SET sealed_key = $2, destroyed_at = NULL WHERE tenant_id = $1`, tenant, sealed); err == nil {
		t.Fatal("key store let a destroyed epoch key be restored")
	}
}

func TestWrongMasterKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tenant := uuid.New()
	k := b.newKey(t, tenant, hour(30))
	wrong := New(testMasterKey(t), b.db.DB)
	if _, err := wrong.Unwrap(b.ctx, k); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("unwrap with another master key: %v, want ErrWrongMasterKey", err)
	}
	if _, err := wrong.NewSessionKey(b.ctx, tenant, uuid.New(), hour(30)); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("new session key in an existing epoch with another master key: %v, want ErrWrongMasterKey", err)
	}
}

func TestEpochKeyRowIsBoundToTenantAndHour(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tenantA, tenantB := uuid.New(), uuid.New()
	b.newKey(t, tenantA, hour(10))
	// Copy A's sealed epoch key into B's slot for the same hour, and into A's
	// next hour, as someone with write access to the key store could.
	if _, err := b.db.ExecContext(b.ctx, `
		INSERT INTO epoch_keys (tenant_id, epoch, sealed_key)
		SELECT $2, epoch, sealed_key FROM epoch_keys WHERE tenant_id = $1
		UNION ALL
		SELECT tenant_id, epoch + interval '1 hour', sealed_key FROM epoch_keys WHERE tenant_id = $1`,
		tenantA, tenantB); err != nil {
		t.Fatal(err)
	}
	if _, err := b.vault.NewSessionKey(b.ctx, tenantB, uuid.New(), hour(10)); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("other tenant: %v, want ErrWrongMasterKey", err)
	}
	if _, err := b.vault.NewSessionKey(b.ctx, tenantA, uuid.New(), hour(11)); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("other hour: %v, want ErrWrongMasterKey", err)
	}
}

func TestRewrap(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tenant := uuid.New()
	oldEpoch, newEpoch := hour(24*20), hour(24*3)
	k := b.newKey(t, tenant, oldEpoch)
	sealed := sealCapture(t, k, "selfie")

	if _, err := b.vault.Rewrap(b.ctx, k, oldEpoch.Add(time.Hour)); !errors.Is(err, ErrLaterEpoch) {
		t.Fatalf("rewrap to a later hour: %v, want ErrLaterEpoch", err)
	}
	same, err := b.vault.Rewrap(b.ctx, k, oldEpoch.Add(59*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !same.Epoch.Equal(oldEpoch) {
		t.Fatalf("rewrap within the same hour moved the epoch to %v", same.Epoch)
	}

	moved, err := b.vault.Rewrap(b.ctx, k, newEpoch.Add(20*time.Minute))
	if err != nil {
		t.Fatalf("rewrap: %v", err)
	}
	if !moved.Epoch.Equal(newEpoch) || moved.TenantID != tenant || moved.SessionID != k.SessionID {
		t.Fatalf("rewrapped key: epoch %v, ids %s/%s", moved.Epoch, moved.TenantID, moved.SessionID)
	}
	if !bytes.Equal(moved.PublicKey, k.PublicKey) {
		t.Fatal("rewrap changed the key pair; captures sealed before would be lost")
	}
	mustOpenCapture(t, b.vault, moved, sealed, "selfie")

	// The old epoch's destruction no longer matters to the session...
	if err := b.vault.DestroyEpoch(b.ctx, tenant, oldEpoch); err != nil {
		t.Fatal(err)
	}
	if _, err := b.vault.Unwrap(b.ctx, k); !errors.Is(err, ErrEpochDestroyed) {
		t.Fatalf("old wrapping after destroying its epoch: %v, want ErrEpochDestroyed", err)
	}
	mustOpenCapture(t, b.vault, moved, sealed, "selfie")
	// ...the new one's does.
	if err := b.vault.DestroyEpoch(b.ctx, tenant, newEpoch); err != nil {
		t.Fatal(err)
	}
	if _, err := b.vault.Unwrap(b.ctx, moved); !errors.Is(err, ErrEpochDestroyed) {
		t.Fatalf("rewrapped key after destroying its epoch: %v, want ErrEpochDestroyed", err)
	}
	// A key whose epoch is gone cannot be rewrapped back to life.
	if _, err := b.vault.Rewrap(b.ctx, k, hour(1)); !errors.Is(err, ErrEpochDestroyed) {
		t.Fatalf("rewrap from a destroyed epoch: %v, want ErrEpochDestroyed", err)
	}
}

func TestConcurrentNewSessionKeyMakesOneEpochKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tenant := uuid.New()
	expires := hour(100)
	const n = 16
	keys := make([]idv.WrappedKey, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		// Each goroutine has its own Vault, as separate replicas would.
		v := New(b.master, b.db.DB)
		wg.Go(func() {
			<-start
			keys[i], errs[i] = v.NewSessionKey(b.ctx, tenant, uuid.New(), expires)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("goroutine %d: %v", i, err)
		}
	}
	if got := countEpochRows(t, b.db, tenant); got != 1 {
		t.Fatalf("%d epoch keys for one tenant-hour, want 1", got)
	}
	// Every session key was wrapped under the one stored epoch key.
	for _, k := range keys {
		if _, err := b.vault.Unwrap(b.ctx, k); err != nil {
			t.Fatalf("unwrap %s: %v", k.SessionID, err)
		}
	}
}

func countEpochRows(t *testing.T, db *sqlx.DB, tenant uuid.UUID) int {
	t.Helper()
	var n int
	if err := db.GetContext(t.Context(), &n, `SELECT count(*) FROM epoch_keys WHERE tenant_id = $1`, tenant); err != nil {
		t.Fatal(err)
	}
	return n
}
