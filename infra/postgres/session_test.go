package postgres_test

import (
	"testing"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// TestDeclareCapturesInOneStatement: a declaration of several captures is
// one INSERT; a slot declared again (in the same call or a later one)
// keeps its last size and hash; the session's other slots stay.
func TestDeclareCapturesInOneStatement(t *testing.T) {
	t.Parallel()
	f := setupWipes(t) // a session with a front, a selfie and an MRZ declared
	ctx := t.Context()
	sessions := postgres.NewSessions(f.db.DB)
	slot := func(kind schemas.CaptureKind, idx int, size int64) idv.Capture {
		return idv.Capture{SessionID: f.session, TenantID: f.tenant, Kind: kind, Index: idx,
			ObjectKey: schemas.ObjectKey(f.tenant.String(), f.session.String(), 1, kind, idx), Size: size, SHA256: randomBytes(32)}
	}
	last := slot(schemas.Selfie, 1, 3000)
	decl := []idv.Capture{slot(schemas.Selfie, 1, 1000), slot(schemas.DocumentBack, 0, 4000), last, slot(schemas.DocumentFront, 0, 5000)}
	if err := sessions.DeclareCaptures(ctx, f.tenant, f.session, decl); err != nil {
		t.Fatal(err)
	}
	caps, err := sessions.Captures(ctx, f.tenant, f.session)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]idv.Capture{}
	for _, c := range caps {
		got[schemas.CaptureRef(c.Kind, c.Index)] = c
	}
	if len(caps) != 5 {
		t.Fatalf("%d captures after declaring 3 new slots of 4 captures beside 3, want 5: %+v", len(caps), caps)
	}
	if c := got[schemas.CaptureRef(schemas.Selfie, 1)]; c.Size != 3000 || string(c.SHA256) != string(last.SHA256) {
		t.Errorf("selfie 1 declared twice in one call: size %d, want the last declaration's 3000 and its hash", c.Size)
	}
	if c := got[schemas.CaptureRef(schemas.DocumentFront, 0)]; c.Size != 5000 {
		t.Errorf("front declared again: size %d, want 5000", c.Size)
	}
	if c := got[schemas.CaptureRef(schemas.MRZ, 0)]; c.Size != 2048 {
		t.Errorf("MRZ not declared again: size %d, want the first 2048", c.Size)
	}
	if err := sessions.DeclareCaptures(ctx, f.tenant, f.session, []idv.Capture{{SessionID: f.session, TenantID: f.tenant,
		Attempt: 2, Kind: schemas.Selfie, Index: 2, ObjectKey: "x", Size: 1, SHA256: randomBytes(32)}}); err == nil {
		t.Error("a capture of attempt 2 declared while the session is at 1")
	}
}
