package postgres_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// TestResultsReadBackWhatWasSaved checks that every column of a result, its
// NULLs included, reads back as it was saved: the fixture's document result
// has no score, threshold, advisory or sealed fields, the face result all
// of them, and a capture the check stored itself.
func TestResultsReadBackWhatWasSaved(t *testing.T) {
	t.Parallel()
	f := setupWipes(t)
	ctx := t.Context()
	results := postgres.NewResults(f.db.DB)
	score, threshold := 0.91, 0.8
	stored := idv.Capture{SessionID: f.session, TenantID: f.tenant, Attempt: 1, Kind: schemas.DocumentFront, Index: 1,
		ObjectKey: schemas.ObjectKey(f.tenant.String(), f.session.String(), 1, schemas.DocumentFront, 1), Size: 512, SHA256: randomBytes(32)}
	face := idv.Result{SessionID: f.session, TenantID: f.tenant, Attempt: 1, Check: schemas.CheckFace, Outcome: schemas.OutcomeFailed,
		Reasons: []string{"face_mismatch"}, Score: &score, Threshold: &threshold, Engine: "test/2",
		Models: map[string]string{"arcface": "sha256:0f"}, CompletedAt: f.now, Advisory: map[string]float64{"passive": 0.4},
		FieldsSealed: randomBytes(48), Stored: []idv.Capture{stored}}
	id := f.session.String()
	err := results.SaveResult(ctx, face, idv.Event{TenantID: f.tenant, MsgID: schemas.MsgID(schemas.TypeCheckCompleted, id, face.Check),
		Type: schemas.TypeCheckCompleted, Subject: schemas.Subject(schemas.TypeCheckCompleted, id),
		Body: schemas.CheckCompleted{SessionID: id, TenantID: f.tenant.String(), Check: face.Check, Outcome: string(face.Outcome),
			Reasons: face.Reasons}})
	if err != nil {
		t.Fatal(err)
	}
	face.Stored = nil // not a column of check_results
	document := idv.Result{SessionID: f.session, TenantID: f.tenant, Attempt: 1, Check: "document", Outcome: "passed",
		Reasons: []string{}, Engine: "test/1", Models: map[string]string{}}

	got, err := results.Get(ctx, f.tenant, f.session, schemas.CheckFace)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, face) {
		t.Errorf("Get(face) = %+v, want %+v", got, face)
	}
	list, err := results.List(ctx, f.tenant, f.session)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("List = %d results, want 2", len(list))
	}
	document.CompletedAt = list[0].CompletedAt // the database's clock
	if list[0].CompletedAt.IsZero() || !reflect.DeepEqual(list[0], document) || !reflect.DeepEqual(list[1].Score, &score) {
		t.Errorf("List = %+v, want %+v and the face result", list, document)
	}

	caps, err := postgres.NewSessions(f.db.DB).Captures(ctx, f.tenant, f.session)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, c := range caps {
		if c.Kind == stored.Kind && c.Index == stored.Index {
			found = !c.DeclaredAt.IsZero()
			c.DeclaredAt = time.Time{}
			found = found && reflect.DeepEqual(c, stored)
		}
	}
	if len(caps) != f.captures+1 || !found {
		t.Errorf("Captures = %+v, want the %d declared and %+v", caps, f.captures, stored)
	}
}
