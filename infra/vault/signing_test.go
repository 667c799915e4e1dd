package vault

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/idv-oss/idv"
)

// TestRotateSigningKey rotates the receipt key apart from the master key:
// signatures switch to the new key at once in every vault over the key
// store, the old key stays listed and verifies what it signed, the new key
// differs from the old, a master-key rotation afterwards keeps every
// generation verifiable, and two rotations at once move two generations.
func TestRotateSigningKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	other := New(b.master, b.db.DB) // another process with the same configuration
	statement := []byte(`{"receipt_id":"before"}`)
	sig0, id0 := mustSign(t, b.vault, statement)

	rot, err := b.vault.RotateSigningKey(b.ctx, PurposeReceipt)
	if err != nil {
		t.Fatal(err)
	}
	if rot.OldKeyID != id0 || rot.NewKeyID == id0 || rot.Generation != 1 {
		t.Fatalf("rotation %+v, want from %s to another key, generation 1", rot, id0)
	}
	after := []byte(`{"receipt_id":"after"}`)
	sig1, id1 := mustSign(t, other, after)
	if id1 != rot.NewKeyID {
		t.Fatalf("the other vault signed with %s after the rotation, want %s", id1, rot.NewKeyID)
	}
	keys, err := other.ReceiptKeys(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || !keys[0].Current || keys[0].KeyID != id1 || keys[0].Generation != 1 ||
		keys[1].Current || keys[1].KeyID != id0 || keys[1].Generation != 0 {
		t.Fatalf("receipt keys after one rotation: %+v, want %s current then %s", keys, id1, id0)
	}
	if !idv.VerifyReceipt(keys[1].PublicKey, statement, sig0) || !idv.VerifyReceipt(keys[0].PublicKey, after, sig1) {
		t.Fatal("a listed key does not verify what it signed")
	}
	if idv.VerifyReceipt(keys[0].PublicKey, statement, sig0) {
		t.Fatal("the new key verifies the old key's signature: it is the same key")
	}
	// A vault without a key store cannot know the generation: it signs
	// with generation 0, so signing tests stay key-store free, and it must
	// not be what a deployment runs (every process has the key store).
	if _, id := mustReceiptKey(t, New(b.master, nil)); id != id0 {
		t.Fatalf("a vault without a key store signs with %s, want generation 0's %s", id, id0)
	}

	// A master-key rotation afterwards: B current, A old. Every key signed
	// so far stays listed once RecordSigningKeys ran, and stays listed
	// when A leaves the configuration.
	keyB := testMasterKey(t)
	rotating := New(keyB, b.db.DB, WithOldMasterKeys(b.master))
	if err := rotating.RecordSigningKeys(b.ctx); err != nil {
		t.Fatal(err)
	}
	onlyB := New(keyB, b.db.DB)
	keys, err = onlyB.ReceiptKeys(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]SigningKey{}
	for _, k := range keys {
		listed[k.KeyID] = k
	}
	_, idB1 := mustReceiptKey(t, onlyB)
	if len(keys) != 3 || keys[0].KeyID != idB1 || !keys[0].Current || keys[0].Generation != 1 {
		t.Fatalf("receipt keys after the master rotation: %+v, want B's generation 1 first, then A's two", keys)
	}
	if !idv.VerifyReceipt(listed[id0].PublicKey, statement, sig0) || !idv.VerifyReceipt(listed[id1].PublicKey, after, sig1) {
		t.Fatal("a key signed under A is no longer listed once A is retired")
	}

	// Two rotations at once: generations 2 and 3, never one twice.
	var wg sync.WaitGroup
	gens := make([]int, 2)
	for i := range gens {
		wg.Go(func() {
			r, err := onlyB.RotateSigningKey(b.ctx, PurposeReceipt)
			if err != nil {
				t.Error(err)
			}
			gens[i] = r.Generation
		})
	}
	wg.Wait()
	if gens[0]+gens[1] != 5 || gens[0] == gens[1] {
		t.Fatalf("two concurrent rotations reached generations %v, want 2 and 3", gens)
	}
	if _, err := onlyB.RotateSigningKey(b.ctx, "attestation"); err == nil || !strings.Contains(err.Error(), "purposes: receipt") {
		t.Fatalf("rotating an unknown purpose: %v, want an error listing the purposes", err)
	}
	keys, err = onlyB.ReceiptKeys(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 5 || keys[0].Generation != 3 {
		t.Fatalf("after two more rotations %d keys listed, current generation %d; want 5 and 3", len(keys), keys[0].Generation)
	}
	for i, k := range keys {
		for _, l := range keys[i+1:] {
			if k.KeyID == l.KeyID || bytes.Equal(k.PublicKey, l.PublicKey) {
				t.Fatalf("key %s listed twice", k.KeyID)
			}
		}
	}
}
