package vault

import (
	"context"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// Signing key purposes. Each purpose has its own key (derived from the master
// key with its own HKDF info), so a signature made for one purpose never
// passes for another.
const (
	// PurposeReceipt signs deletion receipts (SignReceipt).
	PurposeReceipt = schemas.SigningPurposeReceipt
	// PurposeAudit signs audit checkpoints (idv.Checkpoint).
	PurposeAudit = schemas.SigningPurposeAudit
)

// signingKeyInfo is the HKDF info of the seed of a purpose's signing key of
// generation gen. The receipt key of generation 0 keeps the info it had
// before purposes and generations existed, so its key id did not change.
func signingKeyInfo(purpose string, gen int) string {
	info := "idv/v1 signing " + purpose
	if purpose == PurposeReceipt {
		info = receiptKeyInfo
	}
	if gen > 0 {
		info += " generation " + strconv.Itoa(gen)
	}
	return info
}

// signingKey derives the purpose's Ed25519 key of generation gen from master
// key m (HKDF-SHA256). Derived rather than stored: the key is the same in
// every process, and what it signed stays verifiable for as long as the
// master key lives. It signs only; it opens nothing, so it outliving epoch
// keys weakens no deletion.
func (m *MasterKey) signingKey(purpose string, gen int) ed25519.PrivateKey {
	seed, err := hkdf.Key(sha256.New, m[:], nil, signingKeyInfo(purpose, gen), ed25519.SeedSize)
	if err != nil {
		// HKDF-SHA256 fails only for outputs over 8160 bytes or, in FIPS
		// mode, keys under 112 bits; 32 bytes from a 256-bit key is neither.
		panic("vault: derive signing key: " + err.Error())
	}
	defer clear(seed)
	return ed25519.NewKeyFromSeed(seed)
}

// publicSigningKey is the public half of m's signing key for purpose and
// generation gen, and its id.
func (m *MasterKey) publicSigningKey(purpose string, gen int) (ed25519.PublicKey, string) {
	priv := m.signingKey(purpose, gen)
	defer clear(priv)
	pub := priv.Public().(ed25519.PublicKey) // a copy: clearing priv leaves it
	return pub, signingKeyID(pub)
}

// generation is the purpose's current signing key generation: 0 until
// `idv vault rotate-signing` first ran, and without a key store (a vault made
// for signing tests only).
func (v *Vault) generation(ctx context.Context, purpose string) (int, error) {
	if v.keystore.DB == nil {
		return 0, nil
	}
	var gen int
	err := v.keystore.GetContext(ctx, &gen, `SELECT generation FROM signing_key_generations WHERE purpose = $1`, purpose)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("vault: read the %s signing key generation: %w", purpose, err)
	}
	return gen, nil
}

// Sign signs message with the purpose's signing key of the current
// generation under the current master key, and returns the signature and
// the key's id.
func (v *Vault) Sign(ctx context.Context, purpose string, message []byte) (sig []byte, keyID string, err error) {
	gen, err := v.generation(ctx, purpose)
	if err != nil {
		return nil, "", err
	}
	priv := v.master.signingKey(purpose, gen)
	defer clear(priv)
	return ed25519.Sign(priv, message), signingKeyID(priv.Public().(ed25519.PublicKey)), nil
}

// PublicKey is the public key that verifies what Sign signs now for
// purpose, and its id.
func (v *Vault) PublicKey(ctx context.Context, purpose string) (ed25519.PublicKey, string, error) {
	gen, err := v.generation(ctx, purpose)
	if err != nil {
		return nil, "", err
	}
	pub, id := v.master.publicSigningKey(purpose, gen)
	return pub, id, nil
}

// SigningKey is the public half of a signing key, for verification.
type SigningKey struct {
	KeyID     string // signingKeyID of PublicKey: what receipts carry as key_id
	Purpose   string
	Algorithm string // "Ed25519"
	PublicKey ed25519.PublicKey
	// Generation is the rotation the key was derived for (0: never
	// rotated apart from the master key).
	Generation int
	// Current is true for the key that signs now (the current master
	// key's, of the current generation); the others verify what was signed
	// before a rotation.
	Current   bool
	FirstSeen time.Time // when the key store first recorded it; zero if not yet
}

// Purposes are the purposes that have a signing key.
var Purposes = []string{PurposeReceipt, PurposeAudit}

// RecordSigningKeys records in the key store the public keys of every
// purpose's current signing key under every master key of the ring, so that
// what they signed stays verifiable after a master key leaves the
// configuration. `idv vault rotate-master` calls it before anything else;
// calling it again changes nothing.
func (v *Vault) RecordSigningKeys(ctx context.Context) error {
	for _, purpose := range Purposes {
		gen, err := v.generation(ctx, purpose)
		if err != nil {
			return err
		}
		for _, k := range v.ring() {
			if err := recordSigningKey(ctx, v.keystore, &k, purpose, gen); err != nil {
				return err
			}
		}
	}
	return nil
}

// recordSigningKey records the public half of m's signing key of purpose
// and generation gen; a key already recorded is left as it is.
func recordSigningKey(ctx context.Context, db sqlx.ExecerContext, m *MasterKey, purpose string, gen int) error {
	pub, id := m.publicSigningKey(purpose, gen)
	if _, err := db.ExecContext(ctx, `INSERT INTO signing_keys (key_id, purpose, public_key, generation)
		VALUES ($1, $2, $3, $4) ON CONFLICT (key_id) DO NOTHING`, id, purpose, []byte(pub), gen); err != nil {
		return fmt.Errorf("vault: record %s signing key %s: %w", purpose, id, err)
	}
	return nil
}

// Rotation is what RotateSigningKey did: the key that signed before and the
// key that signs from now on.
type Rotation struct {
	Purpose            string
	OldKeyID, NewKeyID string
	Generation         int // the new key's
}

// RotateSigningKey moves purpose to a new signing key (the next
// generation, derived from the current master key), in one key store
// transaction that also records the old and the new public key, so the old
// one stays listed (SigningKeys) and what it signed verifiable. Signers
// read the generation at each signature, so every process signs with the
// new key from its next signature on, without a restart.
func (v *Vault) RotateSigningKey(ctx context.Context, purpose string) (Rotation, error) {
	if !slices.Contains(Purposes, purpose) {
		return Rotation{}, fmt.Errorf("vault: no signing key for purpose %q (purposes: %s)", purpose, strings.Join(Purposes, ", "))
	}
	tx, err := v.keystore.BeginTxx(ctx, nil)
	if err != nil {
		return Rotation{}, fmt.Errorf("vault: rotate the %s signing key: %w", purpose, err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit, a no-op
	var gen int
	// The upsert locks the purpose's row, so two rotations at once move
	// the generation twice rather than both to the same one.
	if err := tx.GetContext(ctx, &gen, `INSERT INTO signing_key_generations AS g (purpose, generation) VALUES ($1, 1)
		ON CONFLICT (purpose) DO UPDATE SET generation = g.generation + 1, rotated_at = now()
		RETURNING generation`, purpose); err != nil {
		return Rotation{}, fmt.Errorf("vault: rotate the %s signing key: %w", purpose, err)
	}
	for _, g := range []int{gen - 1, gen} {
		if err := recordSigningKey(ctx, tx, &v.master, purpose, g); err != nil {
			return Rotation{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Rotation{}, fmt.Errorf("vault: rotate the %s signing key: %w", purpose, err)
	}
	_, oldID := v.master.publicSigningKey(purpose, gen-1)
	_, newID := v.master.publicSigningKey(purpose, gen)
	return Rotation{Purpose: purpose, OldKeyID: oldID, NewKeyID: newID, Generation: gen}, nil
}

// ReceiptKeys lists the public keys that verify deletion receipts
// (SigningKeys of PurposeReceipt). A receipt names its key by key id.
func (v *Vault) ReceiptKeys(ctx context.Context) ([]SigningKey, error) {
	return v.SigningKeys(ctx, PurposeReceipt)
}

// SigningKeys lists the public keys that verify what was signed for
// purpose: the current one first, then the current generation's under the
// old master keys (WithOldMasterKeys), then those the key store recorded
// (older generations, retired master keys), newest first.
func (v *Vault) SigningKeys(ctx context.Context, purpose string) ([]SigningKey, error) {
	gen, err := v.generation(ctx, purpose)
	if err != nil {
		return nil, err
	}
	var keys []SigningKey
	seen := map[string]int{} // key id → index in keys
	for i, k := range v.ring() {
		pub, id := k.publicSigningKey(purpose, gen)
		if _, ok := seen[id]; ok {
			continue
		}
		seen[id] = len(keys)
		keys = append(keys, SigningKey{KeyID: id, Purpose: purpose, Algorithm: "Ed25519", PublicKey: pub, Generation: gen, Current: i == 0})
	}
	if v.keystore.DB == nil {
		return keys, nil
	}
	var rows []struct {
		KeyID      string    `db:"key_id"`
		Algorithm  string    `db:"algorithm"`
		PublicKey  []byte    `db:"public_key"`
		Generation int       `db:"generation"`
		FirstSeen  time.Time `db:"first_seen"`
	}
	if err := v.keystore.SelectContext(ctx, &rows, `SELECT key_id, algorithm, public_key, generation, first_seen
		FROM signing_keys WHERE purpose = $1 ORDER BY first_seen DESC, generation DESC, key_id`, purpose); err != nil {
		return nil, fmt.Errorf("vault: list %s signing keys: %w", purpose, err)
	}
	for _, r := range rows {
		if i, ok := seen[r.KeyID]; ok {
			keys[i].FirstSeen = r.FirstSeen
			continue
		}
		if len(r.PublicKey) != ed25519.PublicKeySize || signingKeyID(r.PublicKey) != r.KeyID {
			return nil, fmt.Errorf("vault: list %s signing keys: key store row %s does not hold the key it names", purpose, r.KeyID)
		}
		seen[r.KeyID] = len(keys)
		keys = append(keys, SigningKey{KeyID: r.KeyID, Purpose: purpose, Algorithm: r.Algorithm,
			PublicKey: ed25519.PublicKey(r.PublicKey), Generation: r.Generation, FirstSeen: r.FirstSeen})
	}
	return keys, nil
}

// ReceiptVerifyKeys is ReceiptKeys as the API serves them: every key that
// verifies receipts, the current one first.
func (v *Vault) ReceiptVerifyKeys(ctx context.Context) ([]idv.VerifyKey, error) {
	return v.VerifyKeys(ctx, PurposeReceipt)
}

// VerifyKeys is SigningKeys of purpose as the API serves them, the current
// one first.
func (v *Vault) VerifyKeys(ctx context.Context, purpose string) ([]idv.VerifyKey, error) {
	keys, err := v.SigningKeys(ctx, purpose)
	if err != nil {
		return nil, err
	}
	out := make([]idv.VerifyKey, len(keys))
	for i, k := range keys {
		out[i] = idv.VerifyKey{KeyID: k.KeyID, PublicKey: []byte(k.PublicKey), Current: k.Current}
	}
	return out, nil
}
