package vault

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/idv-oss/idv/seal"
)

func testMasterKey(t *testing.T) MasterKey {
	t.Helper()
	s, err := GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseMasterKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSecretRoundTripAndBinding(t *testing.T) {
	t.Parallel()
	master := testMasterKey(t)
	v := New(master, nil) // sealing secrets does not touch the key store
	tenant := uuid.New()
	secret := []byte("whsec_0123456789abcdefghijklmnop")

	sealed, err := v.SealSecret(tenant, "webhook", secret)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, secret) {
		t.Fatal("sealed secret contains the secret")
	}
	again, err := v.SealSecret(tenant, "webhook", secret)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(sealed, again) {
		t.Error("sealing twice gave the same bytes; nonces must be random")
	}
	got, err := New(master, nil).OpenSecret(tenant, "webhook", sealed)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if !bytes.Equal(got, secret) {
		t.Fatalf("opened %q, want %q", got, secret)
	}

	tampered := bytes.Clone(sealed)
	tampered[len(tampered)/2] ^= 1
	tests := []struct {
		name    string
		vault   *Vault
		tenant  uuid.UUID
		purpose string
		sealed  []byte
	}{
		{"other tenant", v, uuid.New(), "webhook", sealed},
		{"other purpose", v, tenant, "webhook-old", sealed},
		{"other master key", New(testMasterKey(t), nil), tenant, "webhook", sealed},
		{"tampered", v, tenant, "webhook", tampered},
		{"truncated", v, tenant, "webhook", sealed[:len(sealed)-1]},
		{"empty", v, tenant, "webhook", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.vault.OpenSecret(tt.tenant, tt.purpose, tt.sealed)
			if !errors.Is(err, seal.ErrOpen) {
				t.Fatalf("OpenSecret = %q, %v; want seal.ErrOpen", got, err)
			}
		})
	}
}

func TestSecretRequiresPurpose(t *testing.T) {
	t.Parallel()
	v := New(testMasterKey(t), nil)
	if _, err := v.SealSecret(uuid.New(), "", []byte("x")); err == nil {
		t.Fatal("SealSecret accepted an empty purpose")
	}
}
