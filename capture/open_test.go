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
	put := func(kind schemas.CaptureKind, index int, plain []byte) idv.Capture {
		t.Helper()
		sealed, err := seal.Seal(key.PublicKey(), seal.CaptureInfo(session, string(kind), index), plain)
		if err != nil {
			t.Fatal(err)
		}
		objectKey := schemas.ObjectKey(tenant.String(), session.String(), kind, index)
		if err := store.Put(t.Context(), objectKey, sealed); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(sealed)
		return idv.Capture{SessionID: session, TenantID: tenant, Kind: kind, Index: index,
			ObjectKey: objectKey, Size: int64(len(sealed)), SHA256: sum[:]}
	}
	good := put(schemas.MRZ, 0, []byte("I<NLDSPECI20212"))
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
		"another SHA-256": otherSum, "missing": missing} {
		if _, reason, err := capture.Open(t.Context(), store, key, c); err != nil || reason != capture.ReasonCaptureTampered {
			t.Errorf("%s: reason %q, err %v; want %s", name, reason, err, capture.ReasonCaptureTampered)
		}
	}
}
