package seal

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/google/uuid"
)

// newTestSessionKey returns a fresh session key pair without a key store.
func newTestSessionKey(t *testing.T) *SessionKey {
	t.Helper()
	priv, err := KEM().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return &SessionKey{tenantID: uuid.New(), sessionID: uuid.New(), priv: priv}
}

func TestSuiteIDs(t *testing.T) {
	t.Parallel()
	if got := KEM().ID(); got != SuiteKEM {
		t.Errorf("KEM id = %#04x, want %#04x", got, SuiteKEM)
	}
	if got := kdf().ID(); got != SuiteKDF {
		t.Errorf("KDF id = %#04x, want %#04x", got, SuiteKDF)
	}
	if got := aead().ID(); got != SuiteAEAD {
		t.Errorf("AEAD id = %#04x, want %#04x", got, SuiteAEAD)
	}
}

func TestCaptureInfo(t *testing.T) {
	t.Parallel()
	id := uuid.MustParse("0B7C3F2E-5A41-4D6B-9C2E-8F1A2B3C4D5E")
	got := string(CaptureInfo(id, 2, "selfie", 3))
	want := "idv/v2 capture 0b7c3f2e-5a41-4d6b-9c2e-8f1a2b3c4d5e 2 selfie 3"
	if got != want {
		t.Errorf("CaptureInfo = %q, want %q", got, want)
	}
	got = string(CaptureInfoV1(id, "selfie", 3))
	want = "idv/v1 capture 0b7c3f2e-5a41-4d6b-9c2e-8f1a2b3c4d5e selfie 3"
	if got != want {
		t.Errorf("CaptureInfoV1 = %q, want %q", got, want)
	}
}

func TestSealOpenRoundTripAndOverhead(t *testing.T) {
	t.Parallel()
	key := newTestSessionKey(t)
	info := CaptureInfo(key.SessionID(), 1, "document_front", 0)
	for _, size := range []int{0, 1, 31, 4096, 1 << 20} {
		plaintext := make([]byte, size)
		rand.Read(plaintext)
		sealed, err := Seal(key.PublicKey(), info, plaintext)
		if err != nil {
			t.Fatalf("size %d: seal: %v", size, err)
		}
		if got := len(sealed) - size; got != Overhead {
			t.Errorf("size %d: sealing added %d bytes, want Overhead = %d", size, got, Overhead)
		}
		if size > 16 && bytes.Contains(sealed, plaintext[:16]) {
			t.Errorf("size %d: sealed bytes contain the plaintext", size)
		}
		got, err := Open(key, info, sealed)
		if err != nil {
			t.Fatalf("size %d: open: %v", size, err)
		}
		if !bytes.Equal(got, plaintext) {
			t.Fatalf("size %d: opened bytes differ from the plaintext", size)
		}
	}
}

func TestOpenRejectsMovedOrDamagedCapture(t *testing.T) {
	t.Parallel()
	key := newTestSessionKey(t)
	other := newTestSessionKey(t)
	session := key.SessionID()
	sealed, err := Seal(key.PublicKey(), CaptureInfo(session, 1, "selfie", 2), []byte("frame two"))
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	encFlipped := bytes.Clone(sealed)
	encFlipped[10] ^= 1

	tests := []struct {
		name   string
		key    *SessionKey
		info   []byte
		sealed []byte
	}{
		{"other index", key, CaptureInfo(session, 1, "selfie", 3), sealed},
		{"other kind", key, CaptureInfo(session, 1, "document_front", 2), sealed},
		{"other session id in info", key, CaptureInfo(other.SessionID(), 1, "selfie", 2), sealed},
		{"other session's key", other, CaptureInfo(other.SessionID(), 1, "selfie", 2), sealed},
		{"other session's key, original info", other, CaptureInfo(session, 1, "selfie", 2), sealed},
		{"upper-case session id", key, []byte("idv/v1 capture " + upper(session.String()) + " selfie 2"), sealed},
		{"tag flipped", key, CaptureInfo(session, 1, "selfie", 2), flipped},
		{"enc flipped", key, CaptureInfo(session, 1, "selfie", 2), encFlipped},
		{"truncated", key, CaptureInfo(session, 1, "selfie", 2), sealed[:len(sealed)-1]},
		{"shorter than overhead", key, CaptureInfo(session, 1, "selfie", 2), sealed[:Overhead-1]},
		{"empty", key, CaptureInfo(session, 1, "selfie", 2), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pt, err := Open(tt.key, tt.info, tt.sealed)
			if !errors.Is(err, ErrOpen) {
				t.Fatalf("Open = %q, %v; want ErrOpen", pt, err)
			}
		})
	}
	// The control: the right key and slot do open it.
	if _, err := Open(key, CaptureInfo(session, 1, "selfie", 2), sealed); err != nil {
		t.Fatalf("open in its own slot: %v", err)
	}
}

func TestSealRejectsBadPublicKey(t *testing.T) {
	t.Parallel()
	key := newTestSessionKey(t)
	if _, err := Seal(key.PublicKey()[1:], []byte("info"), []byte("x")); err == nil {
		t.Fatal("Seal accepted a truncated public key")
	}
}

// TestOpenNodeVector opens a capture sealed by the library the app uses (npm
// @hpke/core with X-Wing), so the wire format stays interoperable.
func TestOpenNodeVector(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/hpke_core_xwing.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Seed      string `json:"seed"`
		PublicKey string `json:"public_key"`
		Info      string `json:"info"`
		Plaintext string `json:"plaintext"`
		Sealed    string `json:"sealed"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	seed, _ := hex.DecodeString(v.Seed)
	publicKey, _ := hex.DecodeString(v.PublicKey)
	sealed, _ := hex.DecodeString(v.Sealed)
	priv, err := KEM().NewPrivateKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	key := &SessionKey{priv: priv}
	if !bytes.Equal(key.PublicKey(), publicKey) {
		t.Fatal("public key derived from the stored seed differs from the one the app sealed to")
	}
	if got := len(sealed) - len(v.Plaintext); got != Overhead {
		t.Errorf("app's sealing added %d bytes, want %d", got, Overhead)
	}
	got, err := Open(key, []byte(v.Info), sealed)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if string(got) != v.Plaintext {
		t.Fatalf("opened %q, want %q", got, v.Plaintext)
	}
	if _, err := Open(key, append([]byte(v.Info), '0'), sealed); !errors.Is(err, ErrOpen) {
		t.Fatalf("open with another index: %v, want ErrOpen", err)
	}
}

func upper(s string) string { return string(bytes.ToUpper([]byte(s))) }
