package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MasterKey is the vault's root secret (IDV_MASTER_KEY). It encrypts the rows
// of the key store and, through HKDF, the secrets sealed with SealSecret. It
// never encrypts personal data directly: epoch keys are random, so nothing
// derived from the master key can open a session after its epoch is destroyed.
type MasterKey [32]byte

// masterKeyHint tells an operator how to produce a valid key.
const masterKeyHint = "want standard base64 of exactly 32 random bytes, e.g. `openssl rand -base64 32`"

// ParseMasterKey decodes the IDV_MASTER_KEY format: standard base64 (with
// padding) of exactly 32 random bytes. Surrounding whitespace is ignored.
// Errors wrap ErrInvalidMasterKey and never echo the input.
func ParseMasterKey(s string) (MasterKey, error) {
	var k MasterKey
	s = strings.TrimSpace(s)
	if s == "" {
		return k, fmt.Errorf("vault: master key: %w: empty; %s", ErrInvalidMasterKey, masterKeyHint)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		// The position base64 reports is safe to show; the key is not.
		return k, fmt.Errorf("vault: master key: %w: not standard base64 (%v); %s", ErrInvalidMasterKey, err, masterKeyHint)
	}
	if len(b) != len(k) {
		return k, fmt.Errorf("vault: master key: %w: decodes to %d bytes; %s", ErrInvalidMasterKey, len(b), masterKeyHint)
	}
	copy(k[:], b)
	clear(b)
	if subtle.ConstantTimeCompare(k[:], make([]byte, len(k))) == 1 {
		return MasterKey{}, fmt.Errorf("vault: master key: %w: all 32 bytes are zero; %s", ErrInvalidMasterKey, masterKeyHint)
	}
	return k, nil
}

// GenerateMasterKey returns a new random master key in the IDV_MASTER_KEY
// format.
func GenerateMasterKey() (string, error) {
	var k MasterKey
	if _, err := rand.Read(k[:]); err != nil {
		return "", fmt.Errorf("vault: generate master key: %w", err)
	}
	s := base64.StdEncoding.EncodeToString(k[:])
	clear(k[:])
	return s, nil
}

// LoadOrCreateMasterKeyFile reads the master key stored at path, creating the
// file (mode 0600, missing directories 0700) with a new key if it does not
// exist. It is meant for `idv dev`; production passes IDV_MASTER_KEY.
// Concurrent callers all end up with the same key: the file appears
// atomically, complete, or not at all.
func LoadOrCreateMasterKeyFile(path string) (MasterKey, error) {
	k, err := readMasterKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return MasterKey{}, fmt.Errorf("vault: master key file: %w", err)
	}
	encoded, err := GenerateMasterKey()
	if err != nil {
		return MasterKey{}, err
	}
	// Write a temporary file, then hard-link it into place: the link fails
	// if the key file appeared meanwhile, and never exposes a partial key.
	tmp, err := os.CreateTemp(dir, ".master-key-*")
	if err != nil {
		return MasterKey{}, fmt.Errorf("vault: master key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return MasterKey{}, fmt.Errorf("vault: master key file: %w", err)
	}
	if _, err := tmp.WriteString(encoded + "\n"); err != nil {
		tmp.Close()
		return MasterKey{}, fmt.Errorf("vault: master key file: write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return MasterKey{}, fmt.Errorf("vault: master key file: sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return MasterKey{}, fmt.Errorf("vault: master key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return MasterKey{}, fmt.Errorf("vault: master key file: %w", err)
	}
	return readMasterKeyFile(path)
}

func readMasterKeyFile(path string) (MasterKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return MasterKey{}, fmt.Errorf("vault: master key file: %w", err)
	}
	defer clear(b)
	k, err := ParseMasterKey(string(b))
	if err != nil {
		return MasterKey{}, fmt.Errorf("%w (in %s)", err, path)
	}
	return k, nil
}

// subkey derives an AES-256-GCM AEAD with random nonces from the master key
// for one purpose, so that the key store and sealed secrets never share a key.
func (m *MasterKey) subkey(info string) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, m[:], nil, info, 32)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	return newAEAD(key)
}

// newAEAD returns AES-256-GCM under key; Seal prepends a random 96-bit nonce.
func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(block)
}
