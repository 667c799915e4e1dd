package capture_test

import (
	"crypto/sha256"
	"testing"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/capture"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// Open against the embedded S3 gateway: the capture the app sealed and
// declared opens; anything else is capture_tampered, never an error to
// retry.
func TestOpen(t *testing.T) {
	store := s3test.NewStore(t)
	priv, err := seal.KEM().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tenant, session := uuid.New(), uuid.New()
	key := seal.NewSessionKey(tenant, session, priv)
	putInfo := func(attempt int, kind schemas.CaptureKind, index int, info, plain []byte) idv.Capture {
		t.Helper()
		sealed, err := seal.Seal(key.PublicKey(), info, plain)
		if err != nil {
			t.Fatal(err)
		}
		objectKey := schemas.ObjectKey(tenant.String(), session.String(), attempt, kind, index)
		if err := store.Put(t.Context(), objectKey, sealed); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(sealed)
		return idv.Capture{SessionID: session, TenantID: tenant, Attempt: attempt, Kind: kind, Index: index,
			ObjectKey: objectKey, Size: int64(len(sealed)), SHA256: sum[:]}
	}
	put := func(kind schemas.CaptureKind, index int, plain []byte) idv.Capture {
		return putInfo(1, kind, index, seal.CaptureInfo(session, 1, string(kind), index), plain)
	}
	good := put(schemas.MRZ, 0, []byte("I<NLDSPECI20212"))
	// An app of the first contract (info idv/v1, no attempt) is heard for
	// the first attempt only.
	v1 := func(attempt int) idv.Capture {
		return putInfo(attempt, schemas.Selfie, 0, seal.CaptureInfoV1(session, string(schemas.Selfie), 0), []byte("v1"))
	}
	if plain, reason, err := capture.Open(t.Context(), store, key, v1(1)); err != nil || reason != "" || string(plain) != "v1" {
		t.Errorf("v1 capture of attempt 1: Open = %q, %q, %v", plain, reason, err)
	}
	v1Late := v1(2)
	// The first attempt's capture declared again for the second: its bytes
	// were sealed for attempt 1.
	replayed := good
	replayed.Attempt = 2
	plain, reason, err := capture.Open(t.Context(), store, key, good)
	if err != nil || reason != "" || string(plain) != "I<NLDSPECI20212" {
		t.Fatalf("Open = %q, %q, %v", plain, reason, err)
	}
	moved := good
	moved.Kind = schemas.DocumentFront // the same bytes declared in another slot
	otherSize := good
	otherSize.Size--
	otherSum := good
	otherSum.SHA256 = make([]byte, 32)
	missing := good
	missing.ObjectKey += "-gone"
	for name, c := range map[string]idv.Capture{"another slot": moved, "another size": otherSize,
		"another SHA-256": otherSum, "missing": missing, "another attempt": replayed, "v1 for attempt 2": v1Late} {
		if _, reason, err := capture.Open(t.Context(), store, key, c); err != nil || reason != capture.ReasonCaptureTampered {
			t.Errorf("%s: reason %q, err %v; want %s", name, reason, err, capture.ReasonCaptureTampered)
		}
	}
}
