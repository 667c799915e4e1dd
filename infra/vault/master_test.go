package vault

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestParseMasterKey(t *testing.T) {
	t.Parallel()
	valid := make([]byte, 32)
	for i := range valid {
		valid[i] = byte(i + 1)
	}
	std := base64.StdEncoding.EncodeToString(valid)
	tests := []struct {
		name    string
		in      string
		wantErr string // substring; "" means valid
	}{
		{"valid", std, ""},
		{"valid with newline", std + "\n", ""},
		{"valid with surrounding spaces", "  " + std + " ", ""},
		{"empty", "", "empty"},
		{"blank", " \n\t", "empty"},
		{"not base64", "this is not base64 at all!!", "not standard base64"},
		{"url-safe alphabet", base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb, 0xff}, 16)), "not standard base64"},
		{"missing padding", base64.RawStdEncoding.EncodeToString(valid), "not standard base64"},
		{"hex instead of base64", strings.Repeat("ab", 32), "decodes to 48 bytes"},
		{"16 bytes", base64.StdEncoding.EncodeToString(valid[:16]), "decodes to 16 bytes"},
		{"33 bytes", base64.StdEncoding.EncodeToString(append(bytes.Clone(valid), 1)), "decodes to 33 bytes"},
		{"all zero", base64.StdEncoding.EncodeToString(make([]byte, 32)), "all 32 bytes are zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := ParseMasterKey(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseMasterKey: %v", err)
				}
				if !bytes.Equal(k[:], valid) {
					t.Fatalf("ParseMasterKey decoded the wrong bytes")
				}
				return
			}
			if !errors.Is(err, ErrInvalidMasterKey) {
				t.Fatalf("ParseMasterKey error = %v, want ErrInvalidMasterKey", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not say %q", err, tt.wantErr)
			}
			if trimmed := strings.TrimSpace(tt.in); len(trimmed) >= 8 && strings.Contains(err.Error(), trimmed) {
				t.Errorf("error %q echoes the key", err)
			}
			if k != (MasterKey{}) {
				t.Errorf("ParseMasterKey returned key bytes with an error")
			}
		})
	}
}

func TestGenerateMasterKey(t *testing.T) {
	t.Parallel()
	a, err := GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	b, err := GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two generated master keys are equal")
	}
	for _, s := range []string{a, b} {
		if _, err := ParseMasterKey(s); err != nil {
			t.Fatalf("generated key does not parse: %v", err)
		}
	}
}

func TestLoadOrCreateMasterKeyFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state", "idv")
	path := filepath.Join(dir, "master.key")

	first, err := LoadOrCreateMasterKeyFile(path)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if first == (MasterKey{}) {
		t.Fatal("created an all-zero key")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %o, want 600", perm)
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := di.Mode().Perm(); perm != 0o700 {
		t.Errorf("key directory mode = %o, want 700", perm)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key file", len(entries))
	}

	again, err := LoadOrCreateMasterKeyFile(path)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if again != first {
		t.Fatal("second call returned a different key")
	}
}

func TestLoadOrCreateMasterKeyFileConcurrent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "master.key")
	const n = 8
	keys := make([]MasterKey, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = LoadOrCreateMasterKeyFile(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if keys[i] != keys[0] {
			t.Fatalf("caller %d got a different key", i)
		}
	}
}

func TestLoadOrCreateMasterKeyFileRejectsBadContent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(path, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadOrCreateMasterKeyFile(path)
	if !errors.Is(err, ErrInvalidMasterKey) {
		t.Fatalf("error = %v, want ErrInvalidMasterKey", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "short\n" {
		t.Error("a bad key file was overwritten")
	}
}
