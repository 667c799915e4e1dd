package objects_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
)

func TestPutStatGet(t *testing.T) {
	t.Parallel()
	store := s3test.NewStore(t)
	tests := []struct {
		name string
		body []byte
	}{
		{"empty", []byte{}},
		{"one byte", []byte{0x42}},
		{"5 MiB", randomBytes(5 << 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "sessions/" + rand.Text() + "/" + tt.name
			if err := store.Put(t.Context(), key, tt.body); err != nil {
				t.Fatal(err)
			}
			before := time.Now().Truncate(time.Second) // the store's time is to the second
			info, err := store.Stat(t.Context(), key)
			if err != nil {
				t.Fatal(err)
			}
			if info.Size != int64(len(tt.body)) {
				t.Errorf("Stat = %d bytes, want %d", info.Size, len(tt.body))
			}
			// Stored after the Put began, by the same machine's clock.
			if info.Stored.IsZero() || info.Stored.After(time.Now()) || info.Stored.Before(before.Add(-time.Hour)) {
				t.Errorf("Stat: stored at %s, Put before %s", info.Stored, before)
			}
			got, err := store.Get(t.Context(), key, int64(len(tt.body))+1)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.body) {
				t.Errorf("Get returned %d bytes that differ from the %d put", len(got), len(tt.body))
			}
		})
	}
}

func TestPutReplaces(t *testing.T) {
	t.Parallel()
	store := s3test.NewStore(t)
	for _, body := range []string{"first version, longer", "second"} {
		if err := store.Put(t.Context(), "k", []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := store.Get(t.Context(), "k", 100)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "second" {
		t.Errorf("Get = %q, want the second version", got)
	}
}

func TestMissingObject(t *testing.T) {
	t.Parallel()
	store := s3test.NewStore(t)
	_, err := store.Stat(t.Context(), "no/such/key")
	if !errors.Is(err, objects.ErrNotFound) {
		t.Errorf("Stat: %v, want ErrNotFound", err)
	}
	if err != nil && !strings.HasPrefix(err.Error(), "objects: stat no/such/key: ") {
		t.Errorf("Stat error %q lacks context", err)
	}
	if _, err := store.Get(t.Context(), "no/such/key", 10); !errors.Is(err, objects.ErrNotFound) {
		t.Errorf("Get: %v, want ErrNotFound", err)
	}
}

func TestGetRefusesOversize(t *testing.T) {
	t.Parallel()
	store := s3test.NewStore(t)
	body := randomBytes(1 << 20)
	if err := store.Put(t.Context(), "big", body); err != nil {
		t.Fatal(err)
	}
	got, err := store.Get(t.Context(), "big", int64(len(body))-1)
	if !errors.Is(err, objects.ErrTooLarge) {
		t.Fatalf("Get with limit one byte short: %v (%d bytes), want ErrTooLarge", err, len(got))
	}
	if got != nil {
		t.Errorf("Get returned %d bytes alongside ErrTooLarge", len(got))
	}
	if _, err := store.Get(t.Context(), "big", int64(len(body))); err != nil {
		t.Errorf("Get with limit exactly the size: %v", err)
	}
	if _, err := store.Get(t.Context(), "big", 0); err == nil {
		t.Error("Get accepted a zero limit")
	}
}

func TestKeysAreChecked(t *testing.T) {
	t.Parallel()
	store := s3test.NewStore(t)
	for _, key := range []string{"", " padded", `quote"d`, `back\slash`, "new\nline", strings.Repeat("k", 1025)} {
		if err := store.Put(t.Context(), key, []byte("x")); err == nil {
			t.Errorf("Put accepted key %q", key)
		}
		if _, err := store.PresignPost(t.Context(), key, 1, 1, time.Minute); err == nil {
			t.Errorf("PresignPost accepted key %q", key)
		}
	}
}

func TestPingAndEnsureBucket(t *testing.T) {
	t.Parallel()
	store := s3test.NewStore(t)
	if err := store.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if err := store.EnsureBucket(t.Context()); err != nil {
		t.Errorf("EnsureBucket on an existing bucket: %v", err)
	}

	absent, err := objects.New(s3test.Gateway().ObjectsConfig("t-absent-" + strings.ToLower(rand.Text()[:12])))
	if err != nil {
		t.Fatal(err)
	}
	if err := absent.Ping(t.Context()); !errors.Is(err, objects.ErrNoBucket) {
		t.Errorf("Ping of an absent bucket: %v, want ErrNoBucket", err)
	}
	if _, err := absent.Stat(t.Context(), "k"); err == nil {
		t.Error("Stat in an absent bucket succeeded")
	}

	cfg := s3test.Gateway().ObjectsConfig(store.Bucket())
	cfg.SecretKey = "wrong"
	wrong, err := objects.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := wrong.Ping(t.Context()); err == nil {
		t.Error("Ping with a wrong secret key succeeded")
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
