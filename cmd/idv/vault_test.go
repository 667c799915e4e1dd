package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/schemas"
)

// TestVaultRotateMasterCommand: tenants and an epoch key made under key A;
// `idv vault rotate-master` with IDV_MASTER_KEY=B and IDV_MASTER_KEYS_OLD=A
// re-seals them, a second run does nothing, and B alone then opens them.
func TestVaultRotateMasterCommand(t *testing.T) {
	a := newAdminSetup(t, "Acme", "Globex")
	ctx := context.Background()
	encA := a.vars["IDV_MASTER_KEY"]
	keyA, _ := vault.ParseMasterKey(encA)
	encB, _ := vault.GenerateMasterKey()
	keyB, _ := vault.ParseMasterKey(encB)

	keys, err := postgres.Open(ctx, a.vars["IDV_KEYSTORE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	wrapped, err := vault.New(keyA, keys).NewSessionKey(ctx, uuid.MustParse(a.tenants[0]), uuid.New(), time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	_, receiptA, err := vault.New(keyA, nil).ReceiptPublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}

	a.vars["IDV_MASTER_KEY"], a.vars["IDV_MASTER_KEYS_OLD"] = encB, encA
	out := a.run("vault", "rotate-master", "--batch", "1")
	for _, want := range []string{"epoch keys: 1 re-sealed", "webhook secrets: 2 re-sealed, 0 already current",
		"sealed under master key " + vault.MasterKeyID(keyB)} {
		if !strings.Contains(out, want) {
			t.Fatalf("rotate-master printed:\n%s\nwant %q", out, want)
		}
	}
	out = a.run("vault", "rotate-master")
	if !strings.Contains(out, "epoch keys: 0 re-sealed, 0 stamped") || !strings.Contains(out, "webhook secrets: 0 re-sealed, 2 already current") {
		t.Fatalf("second rotate-master printed:\n%s", out)
	}

	delete(a.vars, "IDV_MASTER_KEYS_OLD")
	out = a.run("vault", "keys")
	if !strings.Contains(out, "live epoch keys under "+vault.MasterKeyID(keyB)+": 1") ||
		!strings.Contains(out, "receipt key "+receiptA+" Ed25519 old") || strings.Contains(out, vault.MasterKeyID(keyA)) {
		t.Fatalf("vault keys printed:\n%s", out)
	}
	onlyB := vault.New(keyB, keys)
	if _, err := onlyB.Unwrap(ctx, wrapped); err != nil {
		t.Fatalf("unwrap with B alone: %v", err)
	}
	for _, tenant := range a.tenants {
		var sealed []byte
		if err := a.db.GetContext(ctx, &sealed, `SELECT webhook_secret_sealed FROM tenants WHERE tenant_id = $1`, tenant); err != nil {
			t.Fatal(err)
		}
		if _, err := onlyB.OpenSecret(uuid.MustParse(tenant), schemas.WebhookSecretPurpose, sealed); err != nil {
			t.Fatalf("webhook secret of %s with B alone: %v", tenant, err)
		}
	}

	a.vars["IDV_MASTER_KEYS_OLD"] = "not a key"
	if out, err := a.try("vault", "rotate-master"); err == nil || !strings.Contains(out+err.Error(), "IDV_MASTER_KEYS_OLD") ||
		bytes.Contains([]byte(out), []byte(encA)) {
		t.Fatalf("bad IDV_MASTER_KEYS_OLD: %v\n%s", err, out)
	}
}

// TestVaultRotateSigningCommand: `idv vault rotate-signing` names the old
// and the new receipt key, `idv vault keys` then lists the new one as
// current and the old one after it, and an unknown purpose is refused with
// the purposes named.
func TestVaultRotateSigningCommand(t *testing.T) {
	a := newAdminSetup(t, "Acme")
	master, _ := vault.ParseMasterKey(a.vars["IDV_MASTER_KEY"])
	_, before, err := vault.New(master, nil).ReceiptPublicKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := a.run("vault", "rotate-signing")
	var after string
	if _, err := fmt.Sscanf(out, "receipt signing key rotated: %s signs from now on", &after); err != nil ||
		after == before || !strings.Contains(out, before+" stays listed") {
		t.Fatalf("rotate-signing printed:\n%s\nwant the new key and %s as the old one", out, before)
	}
	out = a.run("vault", "keys")
	current := strings.Index(out, "receipt key "+after+" Ed25519 current")
	old := strings.Index(out, "receipt key "+before+" Ed25519 old")
	if current < 0 || old < current || !strings.Contains(out, "generation 1") {
		t.Fatalf("vault keys printed:\n%s\nwant %s current (generation 1), then %s old", out, after, before)
	}
	if out, err := a.try("vault", "rotate-signing", "--purpose", "attestation"); err == nil ||
		!strings.Contains(out+err.Error(), "purposes: receipt") {
		t.Fatalf("an unknown purpose: %v\n%s", err, out)
	}
}
