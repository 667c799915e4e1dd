package broker

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nats-io/nkeys"
)

// KeyFile is the file holding role's nkey seed in a key directory.
func KeyFile(dir, role string) string { return filepath.Join(dir, role+".nk") }

// EnsureKeys makes sure dir holds an nkey seed for each of roles
// (KeyFile), creating the directory (0700) and the missing seeds (0600),
// and returns each role's public key, the only part the server needs.
// Seeds already there are kept: run again after a stage was added, it adds
// that stage's seed and changes no other.
func EnsureKeys(dir string, roles []Role) (map[string]string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("broker keys: %w", err)
	}
	public := make(map[string]string, len(roles))
	for _, r := range roles {
		path := KeyFile(dir, r.Name)
		seed, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			seed, err = newSeed(path)
		}
		if err != nil {
			return nil, fmt.Errorf("broker keys: %s: %w", r.Name, err)
		}
		kp, err := nkeys.ParseDecoratedUserNKey(seed)
		if err != nil {
			return nil, fmt.Errorf("broker keys: %s: not a user nkey seed: %w", path, err)
		}
		pub, err := kp.PublicKey()
		kp.Wipe()
		if err != nil {
			return nil, fmt.Errorf("broker keys: %s: %w", path, err)
		}
		public[r.Name] = pub
	}
	return public, nil
}

// newSeed writes a new user nkey seed to path, which must not exist.
func newSeed(path string) ([]byte, error) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, err
	}
	defer kp.Wipe()
	seed, err := kp.Seed()
	if err != nil {
		return nil, err
	}
	seed = append(seed, '\n')
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(seed); err != nil {
		f.Close()
		return nil, err
	}
	return seed, f.Close()
}
