package idv_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

type fixedHead idv.AuditHead

func (h fixedHead) Head(context.Context, uuid.UUID) (idv.AuditHead, error) {
	return idv.AuditHead(h), nil
}

func testSigner(t testing.TB) (idv.StatementSigner, idv.VerifyKey) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return func(_ context.Context, m []byte) ([]byte, string, error) { return ed25519.Sign(priv, m), "k1", nil },
		idv.VerifyKey{KeyID: "k1", PublicKey: pub, Current: true}
}

// TestCheckpoint signs a head, opens it with the listed key and checks a
// chain against it: the same entry passes, another hash is a rewrite, a
// missing entry a truncation; another key, a changed byte and an empty log's
// checkpoint behave as they should.
func TestCheckpoint(t *testing.T) {
	sign, key := testSigner(t)
	tenant := uuid.New()
	hash := sha256.Sum256([]byte("entry 7"))
	at := time.Date(2026, 12, 6, 14, 0, 0, 123000, time.UTC)
	cp, err := idv.Checkpoint(t.Context(), fixedHead{Seq: 7, Hash: hash[:], At: at}, sign, tenant, schemas.CheckpointExport, at.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	c, err := idv.OpenCheckpoint([]idv.VerifyKey{key}, cp)
	if err != nil {
		t.Fatal(err)
	}
	if c.TenantID != tenant.String() || c.Seq != 7 || c.Hash != hex.EncodeToString(hash[:]) || !c.EntryAt.Equal(at) || c.Purpose != "export" {
		t.Fatalf("checkpoint %+v", c)
	}
	if err := idv.CheckAgainst(c, true, hash[:]); err != nil {
		t.Fatalf("the same entry: %v", err)
	}
	other := sha256.Sum256([]byte("entry 7, rewritten"))
	if err := idv.CheckAgainst(c, true, other[:]); !errors.Is(err, idv.ErrCheckpointContradicted) || !strings.Contains(err.Error(), "rewritten") {
		t.Fatalf("another hash: %v", err)
	}
	if err := idv.CheckAgainst(c, false, nil); !errors.Is(err, idv.ErrCheckpointContradicted) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("no entry: %v", err)
	}
	_, stranger := testSigner(t)
	if _, err := idv.OpenCheckpoint([]idv.VerifyKey{stranger}, cp); !errors.Is(err, idv.ErrCheckpointSignature) {
		t.Fatalf("another key: %v", err)
	}
	changed := cp
	changed.Statement = bytes.Replace(cp.Statement, []byte(`"seq":7`), []byte(`"seq":8`), 1)
	if _, err := idv.OpenCheckpoint([]idv.VerifyKey{key}, changed); !errors.Is(err, idv.ErrCheckpointSignature) {
		t.Fatalf("a changed statement: %v", err)
	}

	empty, err := idv.Checkpoint(t.Context(), fixedHead{}, sign, tenant, schemas.CheckpointPeriodic, at)
	if err != nil {
		t.Fatal(err)
	}
	e, err := idv.OpenCheckpoint([]idv.VerifyKey{key}, empty)
	if err != nil || e.Seq != 0 || e.Hash != strings.Repeat("0", 64) || !e.EntryAt.IsZero() || bytes.Contains(empty.Statement, []byte("entry_at")) {
		t.Fatalf("empty log: %+v %v\n%s", e, err, empty.Statement)
	}
	if err := idv.CheckAgainst(e, false, nil); err != nil {
		t.Fatalf("an empty log's checkpoint is contradicted by nothing: %v", err)
	}
	if _, err := idv.Checkpoint(t.Context(), fixedHead{Seq: 1, Hash: hash[:], At: at}, sign, tenant, "whenever", at); err == nil {
		t.Fatal("a checkpoint with an unknown purpose was signed")
	}
}

func FuzzParseCheckpoint(f *testing.F) {
	sign, _ := testSigner(f)
	hash := sha256.Sum256([]byte("x"))
	cp, err := idv.Checkpoint(context.Background(), fixedHead{Seq: 3, Hash: hash[:], At: time.Now()}, sign, uuid.New(), schemas.CheckpointReceipt, time.Now())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(cp.Statement)
	f.Add([]byte(`{"seq":0}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, statement []byte) { roundTrips(t, statement, idv.ParseCheckpoint) })
}
