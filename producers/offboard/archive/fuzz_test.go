package archive

import (
	"bytes"
	"encoding/hex"
	"io"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/infra/vault"
)

// fuzzKey is the fixed recipient key of the fuzz corpus (a seed, hex), so
// that corpus entries sealed to it get past authentication and exercise
// the tar and manifest checks.
const fuzzKey = "6964762d6f6666626f617264696e672d66757a7a2d6b65792d30303030303031"

// FuzzWalk feeds arbitrary bytes to the archive opener, which parses what a
// tenant receives from outside: it must never panic, never hand visit more
// than an entry's declared size, and accept only archives whose every entry
// matches the manifest.
func FuzzWalk(f *testing.F) {
	priv, _ := hex.DecodeString(fuzzKey)
	seeds, _ := os.ReadDir("testdata/seeds")
	for _, e := range seeds {
		b, err := os.ReadFile("testdata/seeds/" + e.Name())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Walk(bytes.NewReader(b), priv, func(name string, size int64, r io.Reader) error {
			if err := checkName(name); err != nil {
				t.Fatalf("visit got entry name %q", name)
			}
			n, err := io.Copy(io.Discard, r)
			if n > size {
				t.Fatalf("%s: read %d bytes, declared %d", name, n, size)
			}
			return err
		})
		if err == nil && m.Format != Format {
			t.Fatalf("accepted an archive with manifest %+v", m)
		}
	})
}

// TestWriteFuzzSeeds rewrites the fuzz seed corpus when IDV_WRITE_SEEDS is
// set: valid archives sealed to fuzzKey.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("IDV_WRITE_SEEDS") == "" {
		t.Skip("set IDV_WRITE_SEEDS=1 to rewrite testdata/seeds")
	}
	priv, _ := hex.DecodeString(fuzzKey)
	pub, err := vault.PublicKeyOf(priv)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll("testdata/seeds", 0o755)
	tenant := uuid.MustParse("0b7c1f4e-5d6a-4e2b-9c3d-1a2b3c4d5e6f")
	for name, files := range map[string][]file{
		"small": {{"tenant/policy.json", []byte(`{}`)}, {"sessions/s/captures/mrz-0", []byte("P<UTO")}},
		"empty": nil,
	} {
		var out bytes.Buffer
		w, _ := NewWriter(&out, pub, tenant, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		for _, f := range files {
			w.AddBytes(f.name, f.data)
		}
		w.Close(len(files))
		if err := os.WriteFile("testdata/seeds/"+name, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
