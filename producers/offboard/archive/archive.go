// Package archive is the offboarding archive: everything IDV holds for a
// tenant, as a tar stream whose last entry is a manifest of every other
// entry's size and SHA-256, sealed to the tenant's own public key of the IDV
// HPKE suite with seal.SealStream (fixed-size chunks under one HPKE
// context, a final-record marker, so truncation and tampering are caught).
//
// IDV writes it streaming, entry by entry, never holding more than one
// entry; only ciphertext reaches the disk. The tenant opens it with its
// private key (Extract): entries are checked against the manifest and
// written under a fresh directory, and anything that does not authenticate
// or does not match removes what was written and fails.
package archive

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv/seal"
)

// ManifestName is the tar name of the manifest, always the last entry.
const ManifestName = "manifest.json"

// Format names this archive format in the manifest.
const Format = "idv-offboarding-archive/v1"

// magic starts every archive, followed by the tenant id's 16 bytes and the
// sealed stream. The tenant id is in the clear so that the opener knows the
// info to open with; it is bound into that info, so changing it fails.
const magic = "IDVOFFB1"

// Info is the HPKE info the archive of a tenant is sealed with.
func Info(tenantID uuid.UUID) []byte {
	return fmt.Appendf(nil, "idv/v1 offboarding-archive %s", tenantID)
}

// Manifest lists every entry but itself, in archive order.
type Manifest struct {
	Format    string    `json:"format"`
	TenantID  string    `json:"tenant_id"`
	CreatedAt time.Time `json:"created_at"`
	Sessions  int       `json:"sessions"`
	Entries   []Entry   `json:"entries"`
}

// Writer writes an archive. Add entries, then Close. Not safe for
// concurrent use.
type Writer struct {
	out      *hashingWriter // the sealed bytes, as written to w
	sealed   io.WriteCloser
	tw       *tar.Writer
	manifest Manifest
	mtime    time.Time
}

// NewWriter starts the archive of tenantID on w, sealed to the tenant's
// public key.
func NewWriter(w io.Writer, publicKey []byte, tenantID uuid.UUID, now time.Time) (*Writer, error) {
	out := newHashingWriter(w)
	if _, err := out.Write(append([]byte(magic), tenantID[:]...)); err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	sealed, err := seal.SealStream(out, publicKey, Info(tenantID))
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	now = now.UTC().Truncate(time.Second)
	return &Writer{out: out, sealed: sealed, tw: tar.NewWriter(sealed), mtime: now,
		manifest: Manifest{Format: Format, TenantID: tenantID.String(), CreatedAt: now}}, nil
}

// Add writes one entry of size bytes read from r.
func (a *Writer) Add(name string, size int64, r io.Reader) error {
	if err := checkName(name); err != nil || name == ManifestName {
		return fmt.Errorf("archive: add %q: invalid name", name)
	}
	if err := a.tw.WriteHeader(&tar.Header{Name: name, Size: size, Mode: 0o600, ModTime: a.mtime,
		Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return fmt.Errorf("archive: add %s: %w", name, err)
	}
	hw := newHashingWriter(a.tw)
	n, err := io.Copy(hw, r)
	if err != nil {
		return fmt.Errorf("archive: add %s: %w", name, err)
	}
	if n != size {
		return fmt.Errorf("archive: add %s: %d bytes, declared %d", name, n, size)
	}
	a.manifest.Entries = append(a.manifest.Entries, hw.entry(name))
	return nil
}

// AddBytes writes one entry holding b.
func (a *Writer) AddBytes(name string, b []byte) error {
	return a.Add(name, int64(len(b)), bytes.NewReader(b))
}

// AddJSON writes one entry holding v as indented JSON.
func (a *Writer) AddJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("archive: add %s: %w", name, err)
	}
	return a.AddBytes(name, append(b, '\n'))
}

// Entries is how many entries were added so far.
func (a *Writer) Entries() int { return len(a.manifest.Entries) }

// Written is how many sealed bytes were written to w so far.
func (a *Writer) Written() int64 { return a.out.n }

// SHA256 is the SHA-256 of the sealed bytes written to w so far: after
// Close, of the whole archive as stored.
func (a *Writer) SHA256() []byte { return a.out.h.Sum(nil) }

// Close writes the manifest (sessions is the count it states), ends the
// tar stream and seals the final record. It returns the manifest.
func (a *Writer) Close(sessions int) (Manifest, error) {
	a.manifest.Sessions = sessions
	b, err := json.MarshalIndent(a.manifest, "", "  ")
	if err != nil {
		return Manifest{}, fmt.Errorf("archive: manifest: %w", err)
	}
	if err := a.tw.WriteHeader(&tar.Header{Name: ManifestName, Size: int64(len(b)), Mode: 0o600,
		ModTime: a.mtime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return Manifest{}, fmt.Errorf("archive: manifest: %w", err)
	}
	if _, err := a.tw.Write(b); err != nil {
		return Manifest{}, fmt.Errorf("archive: manifest: %w", err)
	}
	if err := a.tw.Close(); err != nil {
		return Manifest{}, fmt.Errorf("archive: end: %w", err)
	}
	if err := a.sealed.Close(); err != nil {
		return Manifest{}, fmt.Errorf("archive: seal: %w", err)
	}
	return a.manifest, nil
}

// checkName accepts only clean relative slash paths of plain segments: no
// absolute paths, no "." or ".." segments, no backslashes or control
// characters, so that an entry can never land outside the directory it is
// extracted to.
func checkName(name string) error {
	if name == "" || len(name) > 255 || path.Clean(name) != name || path.IsAbs(name) ||
		strings.ContainsAny(name, "\\:") || strings.HasPrefix(name, "../") || name == ".." || name == "." {
		return fmt.Errorf("%w: entry name %q", ErrInvalid, name)
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: entry name %q", ErrInvalid, name)
		}
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: entry name %q", ErrInvalid, name)
		}
	}
	return nil
}
