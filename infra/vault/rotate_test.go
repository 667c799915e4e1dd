package vault

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// TestRotateMaster seals under key A, rotates to B with A as old, and checks
// that everything opens, a re-run is a no-op, everything still opens without
// A, and a value under an unknown key fails clearly.
func TestRotateMaster(t *testing.T) {
	t.Parallel()
	b := setup(t) // the key store, vault under A
	main := pgtest.NewDB(t, schemas.MainMigrations())
	keyA, keyB := b.master, testMasterKey(t)
	underA := b.vault

	// Epoch keys under A: three tenants, several hours, one hour destroyed.
	type capture struct {
		key    idv.WrappedKey
		sealed []byte
		text   string
	}
	var captures []capture
	tenants := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	for i, tenant := range tenants {
		for h := range 3 {
			k := b.newKey(t, tenant, hour(10+h+i))
			text := "capture " + k.SessionID.String()
			captures = append(captures, capture{k, sealCapture(t, k, text), text})
		}
	}
	destroyed := b.newKey(t, tenants[0], hour(200))
	if err := underA.DestroyEpoch(b.ctx, tenants[0], hour(200)); err != nil {
		t.Fatal(err)
	}
	// A row from before migration 003 has no master key id.
	for _, q := range []string{`ALTER TABLE epoch_keys DISABLE TRIGGER epoch_keys_only_destroy`,
		`UPDATE epoch_keys SET master_key_id = NULL WHERE tenant_id = '` + tenants[1].String() + `'`,
		`ALTER TABLE epoch_keys ENABLE TRIGGER epoch_keys_only_destroy`} {
		if _, err := b.db.ExecContext(b.ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	// Webhook secrets under A, and an offboarded tenant's emptied one.
	secrets := map[uuid.UUID][]byte{}
	for _, tenant := range tenants {
		secret := []byte("whsec_" + tenant.String())
		sealed, err := underA.SealSecret(tenant, schemas.WebhookSecretPurpose, secret)
		if err != nil {
			t.Fatal(err)
		}
		secrets[tenant] = secret
		insertTenant(t, main, tenant, sealed)
	}
	insertTenant(t, main, uuid.New(), []byte{})

	// Sign a receipt under A before the rotation.
	statement := []byte(`{"receipt_id":"before-rotation"}`)
	sigA, keyIDA := mustSign(t, underA, statement)

	// Rotate: B current, A old.
	rotating := New(keyB, b.db.DB, WithOldMasterKeys(keyA))
	if err := rotating.RecordSigningKeys(b.ctx); err != nil {
		t.Fatal(err)
	}
	epochs, err := rotating.RewrapEpochKeys(b.ctx, 2) // small batches: several rounds
	if err != nil {
		t.Fatalf("rewrap epoch keys: %v", err)
	}
	if epochs.Resealed != 9 || epochs.Gone != 0 {
		t.Fatalf("rewrap epoch keys = %+v, want 9 re-sealed", epochs)
	}
	webhooks, err := rotating.RewrapWebhookSecrets(b.ctx, main.DB, 2)
	if err != nil {
		t.Fatalf("rewrap webhook secrets: %v", err)
	}
	if webhooks.Resealed != 3 || webhooks.Current != 0 {
		t.Fatalf("rewrap webhook secrets = %+v, want 3 re-sealed", webhooks)
	}
	byKey, err := rotating.EpochKeysByMasterKey(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(byKey) != 1 || byKey[MasterKeyID(keyB)] != 9 {
		t.Fatalf("live epoch keys by master key id = %v, want all 9 under B %s", byKey, MasterKeyID(keyB))
	}

	// A re-run is a no-op.
	again, err := rotating.RewrapEpochKeys(b.ctx, 0)
	if err != nil || again != (Resealed{}) {
		t.Fatalf("re-run on epoch keys = %+v, %v; want nothing done", again, err)
	}
	againW, err := rotating.RewrapWebhookSecrets(b.ctx, main.DB, 0)
	if err != nil || againW.Resealed != 0 || againW.Current != 3 {
		t.Fatalf("re-run on webhook secrets = %+v, %v; want 3 already current", againW, err)
	}

	// A removed: B alone opens everything.
	onlyB := New(keyB, b.db.DB)
	for _, c := range captures {
		mustOpenCapture(t, onlyB, c.key, c.sealed, c.text)
	}
	if _, err := onlyB.Unwrap(b.ctx, destroyed); !errors.Is(err, ErrEpochDestroyed) {
		t.Fatalf("destroyed epoch after rotation: %v, want ErrEpochDestroyed", err)
	}
	for tenant, secret := range secrets {
		var sealed []byte
		if err := main.GetContext(b.ctx, &sealed, `SELECT webhook_secret_sealed FROM tenants WHERE tenant_id = $1`, tenant); err != nil {
			t.Fatal(err)
		}
		got, err := onlyB.OpenSecret(tenant, schemas.WebhookSecretPurpose, sealed)
		if err != nil || !bytes.Equal(got, secret) {
			t.Fatalf("webhook secret of %s after rotation: %q, %v", tenant, got, err)
		}
		if _, err := New(keyA, nil).OpenSecret(tenant, schemas.WebhookSecretPurpose, sealed); !errors.Is(err, seal.ErrOpen) {
			t.Fatalf("A still opens the re-sealed webhook secret: %v", err)
		}
	}
	// New epoch keys are sealed under B.
	b.vault = onlyB
	fresh := b.newKey(t, tenants[2], hour(300))
	mustOpenCapture(t, onlyB, fresh, sealCapture(t, fresh, "fresh"), "fresh")

	// The receipt signed under A still verifies with a key onlyB serves.
	keys, err := onlyB.ReceiptKeys(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	pubB, keyIDB := mustReceiptKey(t, onlyB)
	if len(keys) != 2 || !keys[0].Current || keys[0].KeyID != keyIDB || !bytes.Equal(keys[0].PublicKey, pubB) {
		t.Fatalf("receipt keys = %+v, want B's current first and A's after", keys)
	}
	if keys[1].Current || keys[1].KeyID != keyIDA || !idv.VerifyReceipt(keys[1].PublicKey, statement, sigA) {
		t.Fatalf("old receipt key %+v does not verify the receipt signed under A (key id %s)", keys[1], keyIDA)
	}
	if keyIDA == keyIDB {
		t.Fatal("rotating the master key did not rotate the receipt key")
	}

	// A value under an unknown key fails clearly.
	stranger := New(testMasterKey(t), b.db.DB)
	if _, err := stranger.Unwrap(b.ctx, captures[0].key); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("unwrap under an unknown master key: %v, want ErrWrongMasterKey", err)
	} else if !bytes.Contains([]byte(err.Error()), []byte(MasterKeyID(stranger.master))) {
		t.Errorf("error %q does not name the configured master key id", err)
	}
	if _, err := stranger.RewrapEpochKeys(b.ctx, 0); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("rotation by a vault that opens nothing: %v, want ErrWrongMasterKey", err)
	}
	if _, err := stranger.RewrapWebhookSecrets(b.ctx, main.DB, 0); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("webhook rotation by a vault that opens nothing: %v, want seal.ErrOpen", err)
	}
}

// TestRotateMasterBeforeSwitch: a vault with B configured as an old key but
// A still current (the first step of a rotation) opens what B seals.
func TestRotateMasterBeforeSwitch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	keyA, keyB := b.master, testMasterKey(t)
	newer := New(keyB, b.db.DB, WithOldMasterKeys(keyA))
	b.vault = newer
	k := b.newKey(t, uuid.New(), hour(40)) // epoch key sealed under B
	older := New(keyA, b.db.DB, WithOldMasterKeys(keyB))
	mustOpenCapture(t, older, k, sealCapture(t, k, "x"), "x")
	if _, err := New(keyA, b.db.DB).Unwrap(b.ctx, k); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("A alone: %v, want ErrWrongMasterKey", err)
	}
}

// TestKeyStoreRefusesResealUnderSameKeyID: the trigger of migration 003
// allows replacing sealed_key only with another master key id.
func TestKeyStoreRefusesResealUnderSameKeyID(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tenant := uuid.New()
	b.newKey(t, tenant, hour(3))
	if _, err := b.db.ExecContext(b.ctx, `UPDATE epoch_keys SET sealed_key = $2 WHERE tenant_id = $1`,
		tenant, bytes.Repeat([]byte{1}, 60)); err == nil {
		t.Fatal("key store let an epoch key be replaced under the same master key id")
	}
	if err := b.vault.DestroyEpoch(b.ctx, tenant, hour(3)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.ExecContext(b.ctx, `UPDATE epoch_keys SET sealed_key = $2, master_key_id = 'ffffffffffffffff',
		destroyed_at = NULL WHERE tenant_id = $1`, tenant, bytes.Repeat([]byte{1}, 60)); err == nil {
		t.Fatal("key store let a destroyed epoch key come back under another master key id")
	}
}

func TestParseMasterKeys(t *testing.T) {
	t.Parallel()
	a, _ := GenerateMasterKey()
	c, _ := GenerateMasterKey()
	for _, tt := range []struct {
		in      string
		n       int
		wantErr bool
	}{{"", 0, false}, {a, 1, false}, {a + "," + c, 2, false}, {" " + a + "\n" + c + " ", 2, false}, {a + ",nope", 0, true}} {
		keys, err := ParseMasterKeys(tt.in)
		if (err != nil) != tt.wantErr || len(keys) != tt.n {
			t.Errorf("ParseMasterKeys(%d chars) = %d keys, %v", len(tt.in), len(keys), err)
		}
		if err != nil && (bytes.Contains([]byte(err.Error()), []byte(a)) || !errors.Is(err, ErrInvalidMasterKey)) {
			t.Errorf("error %v echoes a key or is not ErrInvalidMasterKey", err)
		}
	}
}

func insertTenant(t *testing.T, main *sqlx.DB, id uuid.UUID, sealed []byte) {
	t.Helper()
	if _, err := main.ExecContext(t.Context(), `INSERT INTO tenants
		(tenant_id, name, retention_days, webhook_url, webhook_secret_sealed, policy)
		VALUES ($1, 'rotation test', 7, 'https://example.test/hook', $2, '{}')`, id, sealed); err != nil {
		t.Fatal(err)
	}
}
