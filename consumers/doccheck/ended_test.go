package doccheck_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/doccheck"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// wipeFirst is the result store with a customer's erasure landing just
// before the result is saved: the race the review reproduced with a late
// SaveResult.
type wipeFirst struct {
	*postgres.Results
	sessions *postgres.Sessions
	at       time.Time
}

func (w wipeFirst) SaveResult(ctx context.Context, r idv.Result, ev idv.Event) error {
	if err := idv.RequestWipe(ctx, w.sessions, r.TenantID, r.SessionID, schemas.WipeCustomerRequest, w.at); err != nil {
		return err
	}
	return w.Results.SaveResult(ctx, r, ev)
}

// A session erased while its document is checked takes nothing: no result,
// no event, and the redacted copy the check had stored is deleted; an
// event for a session already erased is acknowledged and checks nothing.
func TestEndedSessionTakesNoWrite(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	p := schemas.DefaultPolicy()
	p.AllowSpecimen, p.RedactedCopy = true, true
	tenantID := b.newTenantWith(t, "Voorbeeld B.V.", p)
	text := bsnCard(t, b)
	intake := func() uuid.UUID {
		return b.intake(t, tenantID, []string{schemas.CheckDocument}, []appclient.Capture{
			{Kind: schemas.DocumentFront, Plain: photo(t, text, nil)},
			{Kind: schemas.MRZ, Plain: []byte(text)},
			{Kind: schemas.Selfie, Plain: doccheck.TestJPEG(t, 32, 32)},
		})
	}
	reader, err := ocrb.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	sessions := postgres.NewSessions(b.db.DB)
	racing := doccheck.New(doccheck.Deps{Sessions: sessions, Tenants: postgres.NewTenants(b.db.DB),
		Results: wipeFirst{Results: postgres.NewResults(b.db.DB), sessions: sessions, at: b.now},
		Keys:    b.vault, Objects: b.store, Now: func() time.Time { return b.now }, Reader: reader,
		Log: slog.New(slog.NewJSONHandler(b.logs, nil))}, doccheck.Config{QualityGates: true})

	id := intake()
	if err := racing.Handle(ctx, b.event(t, schemas.TypeSessionSubmitted, id)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if n := b.resultCount(t, id); n != 0 {
		t.Fatalf("%d results stored for an erased session", n)
	}
	if evs := b.events(t, schemas.TypeCheckCompleted, id); len(evs) != 0 {
		t.Fatalf("%d check.completed events for an erased session", len(evs))
	}
	key := schemas.ObjectKey(tenantID.String(), id.String(), 1, schemas.RedactedCopy, schemas.RedactedCopyFront)
	if _, err := b.store.Get(ctx, key, 16<<20); !errors.Is(err, idv.ErrObjectNotFound) {
		t.Fatalf("the redacted copy of an erased session: %v, want it deleted", err)
	}

	// Erased before the check starts: nothing is opened or stored.
	late := intake()
	if err := idv.RequestWipe(ctx, sessions, tenantID, late, schemas.WipeCustomerRequest, b.now); err != nil {
		t.Fatal(err)
	}
	if err := b.imageStage(t, true).Handle(ctx, b.event(t, schemas.TypeSessionSubmitted, late)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if n := b.resultCount(t, late); n != 0 {
		t.Fatalf("%d results stored for a session erased before its check", n)
	}
	if _, err := b.store.Get(ctx, schemas.ObjectKey(tenantID.String(), late.String(), 1, schemas.RedactedCopy, 0), 16<<20); !errors.Is(err, idv.ErrObjectNotFound) {
		t.Fatalf("a redacted copy of a session erased before its check: %v", err)
	}
}
