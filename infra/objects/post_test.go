package objects_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
)

func TestPresignPostUpload(t *testing.T) {
	t.Parallel()
	store := s3test.NewStore(t)
	tests := []struct {
		name     string
		min, max int64
		size     int
	}{
		{"exact size", 1000, 1000, 1000},
		{"smallest of a range", 1, 4096, 1},
		{"largest of a range", 1, 4096, 4096},
		{"empty allowed", 0, 10, 0},
		// Larger than the 4 MiB request body limit that Go HTTP frameworks
		// (fiber, in versitygw) often default to.
		{"6 MiB", 6 << 20, 6 << 20, 6 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "captures/" + strings.ReplaceAll(tt.name, " ", "-")
			const ttl = 5 * time.Minute
			before := time.Now()
			p, err := store.PresignPost(t.Context(), key, tt.min, tt.max, ttl)
			if err != nil {
				t.Fatal(err)
			}
			if p.Expires.Before(before.Add(ttl).Add(-time.Second)) || p.Expires.After(time.Now().Add(ttl)) {
				t.Errorf("Expires = %s, want about %s from now", p.Expires, ttl)
			}
			checkPolicy(t, p, key, tt.min, tt.max)

			body := randomBytes(tt.size)
			if status, code := post(t, p, body); status != http.StatusNoContent {
				t.Fatalf("POST: HTTP %d %s, want 204", status, code)
			}
			info, err := store.Stat(t.Context(), key)
			if err != nil {
				t.Fatal(err)
			}
			if info.Size != int64(tt.size) {
				t.Errorf("Stat = %d bytes, want %d", info.Size, tt.size)
			}
			got, err := store.Get(t.Context(), key, tt.max)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, body) {
				t.Error("stored object differs from the upload")
			}
		})
	}
}

// The size range is the store's to enforce: a client that sends more (or
// less) than it declared is refused and nothing is stored.
func TestPresignPostEnforcesSize(t *testing.T) {
	t.Parallel()
	store := s3test.NewStore(t)
	tests := []struct {
		name     string
		min, max int64
		size     int
		code     string
	}{
		{"one byte over", 1024, 1024, 1025, "EntityTooLarge"},
		{"far over", 1, 1024, 64 << 10, "EntityTooLarge"},
		{"one byte under", 1024, 1024, 1023, "EntityTooSmall"},
		{"empty under minimum", 1, 1024, 0, "EntityTooSmall"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "captures/" + strings.ReplaceAll(tt.name, " ", "-")
			p, err := store.PresignPost(t.Context(), key, tt.min, tt.max, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			status, code := post(t, p, randomBytes(tt.size))
			if status != http.StatusBadRequest || code != tt.code {
				t.Errorf("POST of %d bytes for [%d, %d]: HTTP %d %s, want 400 %s", tt.size, tt.min, tt.max, status, code, tt.code)
			}
			if _, err := store.Stat(t.Context(), key); !errors.Is(err, objects.ErrNotFound) {
				t.Errorf("after a refused POST, Stat: %v, want ErrNotFound", err)
			}
		})
	}
}

// A policy is only as good as its signature: anything expired, altered or
// signed with another key is refused with 403 and stores nothing.
func TestPresignPostRefusesForgery(t *testing.T) {
	t.Parallel()
	store := s3test.NewStore(t)
	const size = 100
	sign := func(t *testing.T, key string) idv.PostPolicy {
		p, err := store.PresignPost(t.Context(), key, size, size, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name   string
		policy func(t *testing.T, key string) idv.PostPolicy
		size   int
	}{
		{"expired", func(t *testing.T, key string) idv.PostPolicy {
			p, err := store.PresignPostExpiring(t.Context(), key, size, size, time.Now().Add(-time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			return p
		}, size},
		{"size range widened", func(t *testing.T, key string) idv.PostPolicy {
			p := sign(t, key)
			p.Fields["policy"] = editPolicy(t, p.Fields["policy"], `["content-length-range", 100, 100]`, `["content-length-range", 100, 100000]`)
			return p
		}, 1000},
		{"expiry extended", func(t *testing.T, key string) idv.PostPolicy {
			p := sign(t, key)
			old := p.Expires.UTC().Format("2006-01-02T15:04:05.000Z")
			p.Fields["policy"] = editPolicy(t, p.Fields["policy"], old, p.Expires.Add(time.Hour).UTC().Format("2006-01-02T15:04:05.000Z"))
			return p
		}, size},
		{"signature altered", func(t *testing.T, key string) idv.PostPolicy {
			p := sign(t, key)
			sig := []byte(p.Fields["x-amz-signature"])
			sig[0] ^= 1 // '0'..'9', 'a'..'f' stay hex digits or become others; either way wrong
			p.Fields["x-amz-signature"] = string(sig)
			return p
		}, size},
		{"signed with another secret", func(t *testing.T, key string) idv.PostPolicy {
			cfg := s3test.Gateway().ObjectsConfig(store.Bucket())
			cfg.SecretKey = "not-the-secret"
			other, err := objects.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			p, err := other.PresignPost(t.Context(), key, size, size, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}, size},
		{"key changed", func(t *testing.T, key string) idv.PostPolicy {
			p := sign(t, key)
			p.Fields["key"] = key + "-elsewhere"
			return p
		}, size},
		{"content type changed", func(t *testing.T, key string) idv.PostPolicy {
			p := sign(t, key)
			p.Fields["Content-Type"] = "text/html"
			return p
		}, size},
		{"field added", func(t *testing.T, key string) idv.PostPolicy {
			p := sign(t, key)
			p.Fields["x-amz-meta-note"] = "not in the policy"
			return p
		}, size},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "captures/" + strings.ReplaceAll(tt.name, " ", "-")
			p := tt.policy(t, key)
			if status, code := post(t, p, randomBytes(tt.size)); status != http.StatusForbidden {
				t.Errorf("POST: HTTP %d %s, want 403", status, code)
			}
			for _, k := range []string{key, p.Fields["key"]} {
				if _, err := store.Stat(t.Context(), k); !errors.Is(err, objects.ErrNotFound) {
					t.Errorf("after a refused POST, Stat %s: %v, want ErrNotFound", k, err)
				}
			}
		})
	}
}

func TestPresignPostChecksArguments(t *testing.T) {
	t.Parallel()
	store := s3test.NewStore(t)
	for _, tt := range []struct {
		min, max int64
		ttl      time.Duration
	}{
		{-1, 10, time.Minute},
		{0, 0, time.Minute},
		{11, 10, time.Minute},
		{1, 10, 0},
		{1, 10, -time.Minute},
	} {
		if _, err := store.PresignPost(t.Context(), "k", tt.min, tt.max, tt.ttl); err == nil {
			t.Errorf("PresignPost accepted range [%d, %d], ttl %s", tt.min, tt.max, tt.ttl)
		}
	}
}

// checkPolicy reads the signed policy document and checks that it pins what
// PresignPost promises.
func checkPolicy(t *testing.T, p idv.PostPolicy, key string, min, max int64) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(p.Fields["policy"])
	if err != nil {
		t.Fatalf("policy: %v", err)
	}
	var doc struct {
		Expiration time.Time
		Conditions []json.RawMessage
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("policy %s: %v", raw, err)
	}
	if !doc.Expiration.Equal(p.Expires) {
		t.Errorf("policy expires %s, idv.PostPolicy says %s", doc.Expiration, p.Expires)
	}
	var conds []string
	for _, c := range doc.Conditions {
		var v []any
		if err := json.Unmarshal(c, &v); err != nil {
			t.Fatalf("condition %s: %v", c, err)
		}
		b, _ := json.Marshal(v)
		conds = append(conds, string(b))
	}
	for _, want := range []string{
		`["eq","$key",` + quote(key) + `]`,
		`["eq","$Content-Type","application/octet-stream"]`,
		`["content-length-range",` + itoa(min) + `,` + itoa(max) + `]`,
	} {
		if !slices.Contains(conds, want) {
			t.Errorf("policy lacks %s; has %v", want, conds)
		}
	}
	if p.Fields["key"] != key || p.Fields["Content-Type"] != "application/octet-stream" {
		t.Errorf("form fields key=%q Content-Type=%q", p.Fields["key"], p.Fields["Content-Type"])
	}
}

// editPolicy rewrites the signed policy document, leaving the signature as
// it was.
func editPolicy(t *testing.T, policy, old, new string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(policy)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(old)) {
		t.Fatalf("policy %s does not contain %s", raw, old)
	}
	return base64.StdEncoding.EncodeToString(bytes.Replace(raw, []byte(old), []byte(new), 1))
}

// post uploads body as a browser or the app does: a multipart/form-data
// POST with every policy field, then the file, and no credentials of its
// own. It returns the status and the S3 error code, if any.
func post(t testing.TB, p idv.PostPolicy, body []byte) (status int, code string) {
	t.Helper()
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	for _, k := range slices.Sorted(maps.Keys(p.Fields)) {
		if err := mw.WriteField(k, p.Fields[k]); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "capture.sealed")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(body)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, p.URL, &form)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	var s3err struct{ Code string }
	_ = xml.Unmarshal(msg, &s3err)
	return resp.StatusCode, s3err.Code
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
