package vault

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// masterKeyIDInfo is the HKDF info of the value a master key's id is the hash
// of: derived rather than a hash of the key itself, so the id, which is
// logged, printed and stored beside sealed values, says nothing about the key.
const masterKeyIDInfo = "idv/v1 master-key-id"

// MasterKeyID names a master key: 16 hex digits. It is stored beside each
// epoch key in the key store (master_key_id) and printed by
// `idv vault rotate-master`, so an operator can tell which key still seals
// what before removing one from IDV_MASTER_KEYS_OLD.
func MasterKeyID(k MasterKey) string {
	b, err := hkdf.Key(sha256.New, k[:], nil, masterKeyIDInfo, 32)
	if err != nil {
		panic("vault: derive master key id: " + err.Error()) // 32 bytes from a 256-bit key cannot fail
	}
	sum := sha256.Sum256(b)
	clear(b)
	return hex.EncodeToString(sum[:])[:16]
}

// An Option configures a Vault.
type Option func(*Vault)

// WithOldMasterKeys lets the vault open values sealed under other master keys
// than the current one (IDV_MASTER_KEYS_OLD): the previous key during a
// master-key rotation, or the next one before it becomes current. It never
// seals with them. Keys equal to the current one are ignored.
func WithOldMasterKeys(keys ...MasterKey) Option {
	return func(v *Vault) {
		for _, k := range keys {
			if k != v.master && k != (MasterKey{}) {
				v.old = append(v.old, k)
			}
		}
	}
}

// ParseMasterKeys decodes IDV_MASTER_KEYS_OLD: master keys in the
// IDV_MASTER_KEY format separated by commas or white space; empty means none.
// Errors name the position of the bad key, never the key.
func ParseMasterKeys(s string) ([]MasterKey, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
	keys := make([]MasterKey, 0, len(fields))
	for i, f := range fields {
		k, err := ParseMasterKey(f)
		if err != nil {
			return nil, fmt.Errorf("key %d of %d: %w", i+1, len(fields), err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// ring is every master key the vault opens with, the current one first.
func (v *Vault) ring() []MasterKey {
	return append([]MasterKey{v.master}, v.old...)
}

// ringIDs lists the ids of the ring's keys for error messages.
func (v *Vault) ringIDs() string {
	ids := make([]string, 0, 1+len(v.old))
	for _, k := range v.ring() {
		ids = append(ids, MasterKeyID(k))
	}
	return strings.Join(ids, ", ")
}

// openRing opens sealed with the subkey for info of each master key in the
// ring, the current one first, and returns the plaintext and the index of the
// key that opened it (0: the current key). AES-GCM authenticates, so a wrong
// key fails rather than returning garbage. ok is false if no key opens it.
func (v *Vault) openRing(info string, sealed, ad []byte) (plain []byte, index int, ok bool, err error) {
	for i, k := range v.ring() {
		box, err := k.subkey(info)
		if err != nil {
			return nil, 0, false, err
		}
		if plain, err := box.Open(nil, nil, sealed, ad); err == nil {
			return plain, i, true, nil
		}
	}
	return nil, 0, false, nil
}
