package archive

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/uuid"
	"github.com/idv-oss/idv/seal"
)

// maxManifest bounds the manifest a reader decodes: about a million entries.
const maxManifest = 256 << 20

// Visit receives each entry's name, size and content while Walk checks it.
// What it reads is authenticated, but the archive as a whole is only
// known good once Walk returns nil.
type Visit func(name string, size int64, content io.Reader) error

// Walk opens the archive r with the tenant's private key (a 32-byte seed),
// hands every entry but the manifest to visit in order and checks it
// against the manifest: names, order, sizes and SHA-256 must all match, and
// the sealed stream must end right after the tar stream. It returns the
// manifest. A wrong key, a truncated or altered archive fail with an error
// wrapping seal.ErrStream; content that is not a valid archive with one
// wrapping ErrInvalid.
func Walk(r io.Reader, privateKey []byte, visit Visit) (Manifest, error) {
	head := make([]byte, len(magic)+16)
	if _, err := io.ReadFull(r, head); err != nil || string(head[:len(magic)]) != magic {
		return Manifest{}, fmt.Errorf("archive: %w: not an IDV offboarding archive", seal.ErrStream)
	}
	tenantID, _ := uuid.FromBytes(head[len(magic):])
	plain, err := seal.OpenStream(r, privateKey, Info(tenantID))
	if err != nil {
		return Manifest{}, fmt.Errorf("archive: %w", err)
	}
	var got []Entry
	var manifest *Manifest
	seen := map[string]bool{}
	tr := tar.NewReader(plain)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Manifest{}, fmt.Errorf("archive: %w", tarError(err))
		}
		if manifest != nil {
			return Manifest{}, fmt.Errorf("archive: %w: entry %q after the manifest", ErrInvalid, hdr.Name)
		}
		if hdr.Typeflag != tar.TypeReg || hdr.Size < 0 {
			return Manifest{}, fmt.Errorf("archive: %w: entry %q is not a regular file", ErrInvalid, hdr.Name)
		}
		if err := checkName(hdr.Name); err != nil {
			return Manifest{}, fmt.Errorf("archive: %w", err)
		}
		if seen[hdr.Name] {
			return Manifest{}, fmt.Errorf("archive: %w: entry %q twice", ErrInvalid, hdr.Name)
		}
		seen[hdr.Name] = true
		if hdr.Name == ManifestName {
			if manifest, err = readManifest(tr, hdr.Size, tenantID); err != nil {
				return Manifest{}, err
			}
			continue
		}
		e, err := visitEntry(tr, hdr, visit)
		if err != nil {
			return Manifest{}, err
		}
		got = append(got, e)
	}
	// The tar stream ended; the sealed stream must end with it, after its
	// final record, or the archive was cut off or extended.
	if _, err := io.Copy(io.Discard, plain); err != nil {
		return Manifest{}, fmt.Errorf("archive: %w", err)
	}
	if manifest == nil {
		return Manifest{}, fmt.Errorf("archive: %w: no manifest", ErrInvalid)
	}
	if err := match(manifest.Entries, got); err != nil {
		return Manifest{}, err
	}
	return *manifest, nil
}

// tarError keeps the stream's own errors (truncation, tampering) as they
// are and marks every other tar error as invalid content.
func tarError(err error) error {
	if errors.Is(err, seal.ErrStream) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrInvalid, err)
}

// visitEntry passes one entry to visit and returns its size and hash.
func visitEntry(tr *tar.Reader, hdr *tar.Header, visit Visit) (Entry, error) {
	hw := newHashingWriter(io.Discard)
	if err := visit(hdr.Name, hdr.Size, io.TeeReader(tr, hw)); err != nil {
		return Entry{}, fmt.Errorf("archive: %s: %w", hdr.Name, err)
	}
	// Whatever visit left unread still counts.
	if _, err := io.Copy(hw, tr); err != nil {
		return Entry{}, fmt.Errorf("archive: %s: %w", hdr.Name, tarError(err))
	}
	return hw.entry(hdr.Name), nil
}

func readManifest(r io.Reader, size int64, tenantID uuid.UUID) (*Manifest, error) {
	if size > maxManifest {
		return nil, fmt.Errorf("archive: %w: manifest of %d bytes", ErrInvalid, size)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("archive: manifest: %w", tarError(err))
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("archive: %w: manifest: %v", ErrInvalid, err)
	}
	if m.Format != Format || m.TenantID != tenantID.String() {
		return nil, fmt.Errorf("archive: %w: manifest of format %q for tenant %q", ErrInvalid, m.Format, m.TenantID)
	}
	return &m, nil
}

// match checks the entries read against the manifest's, in order.
func match(want, got []Entry) error {
	for i := range max(len(want), len(got)) {
		switch {
		case i >= len(got):
			return fmt.Errorf("archive: %w: %q is in the manifest but not the archive", ErrInvalid, want[i].Name)
		case i >= len(want):
			return fmt.Errorf("archive: %w: %q is not in the manifest", ErrInvalid, got[i].Name)
		case want[i] != got[i]:
			return fmt.Errorf("archive: %w: %q does not match the manifest (size or SHA-256)", ErrInvalid, got[i].Name)
		}
	}
	return nil
}

// Extract opens the archive with the tenant's private key into dir, which
// must not exist yet: it is created (mode 0700), entries are written as
// files (0600) and checked as Walk checks them. On any failure dir is
// removed with everything written to it, so a partial or unverified
// extraction is never left behind.
func Extract(r io.Reader, privateKey []byte, dir string) (m Manifest, err error) {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return Manifest{}, fmt.Errorf("archive: output directory must not exist yet: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	root, err := os.OpenRoot(dir)
	if err != nil {
		return Manifest{}, fmt.Errorf("archive: %w", err)
	}
	defer root.Close()
	return Walk(r, privateKey, func(name string, _ int64, content io.Reader) error {
		return writeFile(root, name, content)
	})
}

// writeFile creates name under root (which refuses any path leaving it)
// and copies content into it.
func writeFile(root *os.Root, name string, content io.Reader) error {
	if d := filepath.Dir(filepath.FromSlash(name)); d != "." {
		if err := root.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	f, err := root.OpenFile(filepath.FromSlash(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
