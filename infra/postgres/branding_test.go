package postgres_test

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"testing"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
)

// TestLogos: a tenant's logo is kept, replaced and deleted in its own
// scope only — another tenant reads none of it — and each change is on
// the audit record as policy_changed with the logos' fingerprints, the
// same logo again recording nothing.
func TestLogos(t *testing.T) {
	t.Parallel()
	b := setupRetention(t)
	a, other := b.newTenant(t), b.newTenant(t)
	store := postgres.NewTenants(b.db.DB)
	ctx := idv.WithActor(t.Context(), idv.ActorOperator)
	logo := func(w int) idv.Logo {
		var buf bytes.Buffer
		if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, 8))); err != nil {
			t.Fatal(err)
		}
		l, err := idv.NewLogo(a, buf.Bytes(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	first, second := logo(8), logo(16)
	for _, l := range []idv.Logo{first, first, second} {
		if err := store.PutLogo(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	got, err := store.Logo(ctx, a)
	if err != nil || !bytes.Equal(got.PNG, second.PNG) || got.Width != 16 || got.Name() != second.Name() {
		t.Fatalf("logo %+v, %v; want the second", got, err)
	}
	if sum, err := store.LogoSum(ctx, a); err != nil || !bytes.Equal(sum, second.SHA256) {
		t.Errorf("LogoSum %x, %v; want the second's %x", sum, err, second.SHA256)
	}
	if _, err := store.Logo(ctx, other); !errors.Is(err, idv.ErrNotFound) {
		t.Errorf("the other tenant's logo: %v, want not found", err)
	}
	if _, err := store.LogoSum(ctx, other); !errors.Is(err, idv.ErrNotFound) {
		t.Errorf("the other tenant's logo sum: %v, want not found", err)
	}
	if err := store.DeleteLogo(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Logo(ctx, a); err != nil {
		t.Errorf("tenant a's logo after the other's delete: %v", err)
	}
	for range 2 {
		if err := store.DeleteLogo(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.Logo(ctx, a); !errors.Is(err, idv.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	var changes []string
	if err := b.db.Select(&changes, `SELECT detail->>'logo_from' || '>' || (detail->>'logo_to') FROM audit_events
		WHERE tenant_id = $1 AND action = 'policy_changed' AND detail->>'changed' = 'logo' ORDER BY seq`, a); err != nil {
		t.Fatal(err)
	}
	if len(changes) != 3 || changes[0][:1] != ">" || changes[2][len(changes[2])-1:] != ">" {
		t.Errorf("audit of the logo's changes %q, want put, replaced, deleted", changes)
	}
}
