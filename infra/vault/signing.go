package vault

import (
	"context"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/idv-oss/idv"
)

// Signing key purposes. Each purpose has its own key (derived from the master
// key with its own HKDF info), so a signature made for one purpose never
// passes for another.
const (
	// PurposeReceipt signs deletion receipts (SignReceipt).
	PurposeReceipt = "receipt"
)

// signingKeyInfo is the HKDF info of a purpose's signing key seed. The
// receipt key keeps the info it had before purposes existed, so its key id
// did not change.
func signingKeyInfo(purpose string) string {
	if purpose == PurposeReceipt {
		return receiptKeyInfo
	}
	return "idv/v1 signing " + purpose
}

// signingKey derives the purpose's Ed25519 key from master key m.
func (m *MasterKey) signingKey(purpose string) ed25519.PrivateKey {
	seed, err := hkdf.Key(sha256.New, m[:], nil, signingKeyInfo(purpose), ed25519.SeedSize)
	if err != nil {
		panic("vault: derive signing key: " + err.Error()) // see receiptKey
	}
	defer clear(seed)
	return ed25519.NewKeyFromSeed(seed)
}

// SigningKey is the public half of a signing key, for verification.
type SigningKey struct {
	KeyID     string // receiptKeyID of PublicKey: what receipts carry as key_id
	Purpose   string
	Algorithm string // "Ed25519"
	PublicKey ed25519.PublicKey
	// Current is true for the key that signs now (the current master
	// key's); the others verify what was signed before a rotation.
	Current   bool
	FirstSeen time.Time // when the key store first recorded it; zero if not yet
}

// RecordSigningKeys records in the key store the public keys of every
// purpose's signing key under every master key of the ring, so that what
// they signed stays verifiable after a master key leaves the configuration.
// `idv vault rotate-master` calls it before anything else; calling it again
// changes nothing.
func (v *Vault) RecordSigningKeys(ctx context.Context) error {
	for _, purpose := range []string{PurposeReceipt} {
		for _, k := range v.ring() {
			priv := k.signingKey(purpose)
			pub := priv.Public().(ed25519.PublicKey)
			clear(priv)
			if _, err := v.keystore.ExecContext(ctx, `INSERT INTO signing_keys (key_id, purpose, public_key)
				VALUES ($1, $2, $3) ON CONFLICT (key_id) DO NOTHING`, receiptKeyID(pub), purpose, []byte(pub)); err != nil {
				return fmt.Errorf("vault: record %s signing key: %w", purpose, err)
			}
		}
	}
	return nil
}

// ReceiptKeys lists the public keys that verify deletion receipts: the
// current one first, then the old master keys' (WithOldMasterKeys), then
// those the key store recorded (RecordSigningKeys) and no configured master
// key derives any more, newest first. A receipt names its key by key id.
func (v *Vault) ReceiptKeys(ctx context.Context) ([]SigningKey, error) {
	return v.signingKeys(ctx, PurposeReceipt)
}

func (v *Vault) signingKeys(ctx context.Context, purpose string) ([]SigningKey, error) {
	var keys []SigningKey
	seen := map[string]bool{}
	for i, k := range v.ring() {
		priv := k.signingKey(purpose)
		pub := priv.Public().(ed25519.PublicKey)
		clear(priv)
		id := receiptKeyID(pub)
		if seen[id] {
			continue
		}
		seen[id] = true
		keys = append(keys, SigningKey{KeyID: id, Purpose: purpose, Algorithm: "Ed25519", PublicKey: pub, Current: i == 0})
	}
	var rows []struct {
		KeyID     string    `db:"key_id"`
		Algorithm string    `db:"algorithm"`
		PublicKey []byte    `db:"public_key"`
		FirstSeen time.Time `db:"first_seen"`
	}
	if err := v.keystore.SelectContext(ctx, &rows, `SELECT key_id, algorithm, public_key, first_seen
		FROM signing_keys WHERE purpose = $1 ORDER BY first_seen DESC, key_id`, purpose); err != nil {
		return nil, fmt.Errorf("vault: list %s signing keys: %w", purpose, err)
	}
	for _, r := range rows {
		if seen[r.KeyID] {
			for i := range keys {
				if keys[i].KeyID == r.KeyID {
					keys[i].FirstSeen = r.FirstSeen
				}
			}
			continue
		}
		if len(r.PublicKey) != ed25519.PublicKeySize || receiptKeyID(r.PublicKey) != r.KeyID {
			return nil, fmt.Errorf("vault: list %s signing keys: key store row %s does not hold the key it names", purpose, r.KeyID)
		}
		seen[r.KeyID] = true
		keys = append(keys, SigningKey{KeyID: r.KeyID, Purpose: purpose, Algorithm: r.Algorithm,
			PublicKey: ed25519.PublicKey(r.PublicKey), FirstSeen: r.FirstSeen})
	}
	return keys, nil
}

// ReceiptVerifyKeys is ReceiptKeys as the API serves them: every key that
// verifies receipts, the current one first.
func (v *Vault) ReceiptVerifyKeys(ctx context.Context) ([]idv.VerifyKey, error) {
	keys, err := v.ReceiptKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]idv.VerifyKey, len(keys))
	for i, k := range keys {
		out[i] = idv.VerifyKey{KeyID: k.KeyID, PublicKey: []byte(k.PublicKey), Current: k.Current}
	}
	return out, nil
}
