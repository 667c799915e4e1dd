package archive

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv/seal"
)

type file struct {
	name string
	data []byte
}

// build writes an archive of files for tenant to pub.
func build(t testing.TB, pub []byte, tenant uuid.UUID, files []file) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, pub, tenant, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := w.AddBytes(f.name, f.data); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(1); err != nil {
		t.Fatal(err)
	}
	// What the writer says it wrote is the archive as stored.
	if sum := sha256.Sum256(out.Bytes()); w.Written() != int64(out.Len()) || !bytes.Equal(w.SHA256(), sum[:]) {
		t.Fatalf("writer reports %d bytes, SHA-256 %x; stored %d bytes, %x", w.Written(), w.SHA256(), out.Len(), sum)
	}
	return out.Bytes()
}

func testFiles() []file {
	big := make([]byte, 3*seal.StreamChunk+5)
	rand.Read(big)
	return []file{
		{"tenant/policy.json", []byte(`{"fields":["full_name"]}`)},
		{"sessions/0b7c/captures/document_front-0.jpg", big},
		{"sessions/0b7c/captures/mrz-0", []byte("P<UTO...")},
		{"sessions/0b7c/empty", nil},
	}
}

// What was added comes out byte for byte, under a directory of its own,
// with a manifest that lists it.
func TestExtractRoundTrip(t *testing.T) {
	t.Parallel()
	pub, priv, _ := seal.NewRecipientKey()
	tenant := uuid.New()
	files := testFiles()
	sealed := build(t, pub, tenant, files)
	dir := filepath.Join(t.TempDir(), "out")
	m, err := Extract(bytes.NewReader(sealed), priv, dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.TenantID != tenant.String() || m.Sessions != 1 || len(m.Entries) != len(files) {
		t.Fatalf("manifest %+v", m)
	}
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.name)))
		if err != nil || !bytes.Equal(got, f.data) {
			t.Fatalf("%s: %d bytes, %v", f.name, len(got), err)
		}
	}
	if _, err := Extract(bytes.NewReader(sealed), priv, dir); err == nil {
		t.Fatal("extracted into an existing directory")
	}
}

// A wrong key, a truncated or altered archive fail and leave nothing behind.
func TestExtractRefusesBadArchives(t *testing.T) {
	t.Parallel()
	pub, priv, _ := seal.NewRecipientKey()
	_, other, _ := seal.NewRecipientKey()
	sealed := build(t, pub, uuid.New(), testFiles())
	flip := func(pos int) []byte {
		b := bytes.Clone(sealed)
		b[pos] ^= 0x80
		return b
	}
	for name, c := range map[string]struct {
		key, archive []byte
	}{
		"wrong key":          {other, sealed},
		"truncated":          {priv, sealed[:len(sealed)-1000]},
		"last byte gone":     {priv, sealed[:len(sealed)-1]},
		"modified content":   {priv, flip(len(sealed) / 2)},
		"modified tenant id": {priv, flip(len(magic) + 3)},
		"empty":              {priv, nil},
	} {
		dir := filepath.Join(t.TempDir(), "out")
		_, err := Extract(bytes.NewReader(c.archive), c.key, dir)
		if !errors.Is(err, seal.ErrStream) {
			t.Errorf("%s: %v, want seal.ErrStream", name, err)
		}
		if _, statErr := os.Stat(dir); !errors.Is(statErr, os.ErrNotExist) {
			t.Errorf("%s: output directory left behind", name)
		}
	}
}

// sealTar seals a hand-made tar stream as an archive of tenant, as only a
// forger holding the public key could: it authenticates, its content must
// still be refused.
func sealTar(t testing.TB, pub []byte, tenant uuid.UUID, write func(tw *tar.Writer)) []byte {
	t.Helper()
	var out bytes.Buffer
	out.WriteString(magic)
	out.Write(tenant[:])
	w, err := seal.SealStream(&out, pub, Info(tenant))
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(w)
	write(tw)
	tw.Close()
	w.Close()
	return out.Bytes()
}

func addEntry(tw *tar.Writer, name string, typ byte, data []byte) {
	tw.WriteHeader(&tar.Header{Name: name, Typeflag: typ, Size: int64(len(data)), Mode: 0o600, Linkname: "/etc/passwd"})
	tw.Write(data)
}

// Content that authenticates but is not a valid archive is refused with
// ErrInvalid: paths leaving the directory, links, entries not in the
// manifest or differing from it, no manifest.
func TestExtractRefusesInvalidContent(t *testing.T) {
	t.Parallel()
	pub, priv, _ := seal.NewRecipientKey()
	tenant := uuid.New()
	manifest := func(entries ...Entry) []byte {
		b, _ := json.Marshal(Manifest{Format: Format, TenantID: tenant.String(), CreatedAt: time.Now(), Entries: entries})
		return b
	}
	emptySum := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	for name, write := range map[string]func(*tar.Writer){
		"dot-dot":     func(tw *tar.Writer) { addEntry(tw, "../evil", tar.TypeReg, nil) },
		"absolute":    func(tw *tar.Writer) { addEntry(tw, "/tmp/evil", tar.TypeReg, nil) },
		"symlink":     func(tw *tar.Writer) { addEntry(tw, "link", tar.TypeSymlink, nil) },
		"no manifest": func(tw *tar.Writer) { addEntry(tw, "a", tar.TypeReg, nil) },
		"not in manifest": func(tw *tar.Writer) {
			addEntry(tw, "a", tar.TypeReg, nil)
			addEntry(tw, ManifestName, tar.TypeReg, manifest())
		},
		"other hash": func(tw *tar.Writer) {
			addEntry(tw, "a", tar.TypeReg, []byte("x"))
			addEntry(tw, ManifestName, tar.TypeReg, manifest(Entry{Name: "a", Size: 1, SHA256: emptySum}))
		},
		"missing entry": func(tw *tar.Writer) {
			addEntry(tw, ManifestName, tar.TypeReg, manifest(Entry{Name: "a", Size: 0, SHA256: emptySum}))
		},
		"entry after manifest": func(tw *tar.Writer) {
			addEntry(tw, ManifestName, tar.TypeReg, manifest())
			addEntry(tw, "a", tar.TypeReg, nil)
		},
		"twice": func(tw *tar.Writer) {
			addEntry(tw, "a", tar.TypeReg, nil)
			addEntry(tw, "a", tar.TypeReg, nil)
		},
	} {
		dir := filepath.Join(t.TempDir(), "out")
		_, err := Extract(bytes.NewReader(sealTar(t, pub, tenant, write)), priv, dir)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
		if _, statErr := os.Stat(dir); !errors.Is(statErr, os.ErrNotExist) {
			t.Errorf("%s: output directory left behind", name)
		}
	}
	if _, err := os.Stat(filepath.Join(os.TempDir(), "evil")); err == nil {
		t.Error("an entry escaped the output directory")
	}
}
