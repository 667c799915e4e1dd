package archive

import (
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/idv-oss/idv/seal"
)

// PEM block types of the tenant's offboarding key pair.
const (
	pemPublic  = "IDV OFFBOARD PUBLIC KEY"
	pemPrivate = "IDV OFFBOARD PRIVATE KEY"
)

// WriteKeyPair makes the tenant's offboarding key pair
// (seal.NewRecipientKey) and writes it as PEM into dir: offboard.pub, to
// give to the operator, and offboard.key (0600), which alone opens the
// archive. Neither file may exist yet.
func WriteKeyPair(dir string) (pubFile, keyFile string, err error) {
	pub, priv, err := seal.NewRecipientKey()
	if err != nil {
		return "", "", err
	}
	defer clear(priv)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("keygen: %w", err)
	}
	pubFile, keyFile = filepath.Join(dir, "offboard.pub"), filepath.Join(dir, "offboard.key")
	for _, f := range []struct {
		path, typ string
		b         []byte
		mode      os.FileMode
	}{{keyFile, pemPrivate, priv, 0o600}, {pubFile, pemPublic, pub, 0o644}} {
		if err := writeNew(f.path, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.b}), f.mode); err != nil {
			return "", "", fmt.Errorf("keygen: %w", err)
		}
	}
	return pubFile, keyFile, nil
}

// ReadPublicKey reads the public key file WriteKeyPair wrote.
func ReadPublicKey(path string) ([]byte, error) { return readPEM(path, pemPublic) }

// ReadPrivateKey reads the private key file WriteKeyPair wrote; clear it
// after use.
func ReadPrivateKey(path string) ([]byte, error) { return readPEM(path, pemPrivate) }

// writeNew writes a file that must not exist yet.
func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readPEM reads the one PEM block of type typ in path.
func readPEM(path, typ string) ([]byte, error) {
	if path == "" {
		return nil, errors.New("no file given")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != typ {
		return nil, fmt.Errorf("%s holds no %s block", path, typ)
	}
	return block.Bytes, nil
}
