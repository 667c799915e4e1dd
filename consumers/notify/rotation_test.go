package notify_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/notify"
	"github.com/idv-oss/idv/schemas"
)

// rotate makes a fresh secret the tenant's, as POST
// /v1/webhook/secret/rotate does at now, and returns its key bytes.
func (b *bundle) rotate(t *testing.T, tenantID uuid.UUID, overlap time.Duration, now time.Time) []byte {
	t.Helper()
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	sealed, err := b.vault.SealSecret(tenantID, schemas.WebhookSecretPurpose, secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.tenants.RotateWebhookSecret(context.Background(), tenantID, sealed, overlap, now); err != nil {
		t.Fatal(err)
	}
	return secret
}

// only returns d's headers with webhook-signature cut down to its i-th entry.
func only(h http.Header, i int) http.Header {
	h = h.Clone()
	h.Set(schemas.HeaderWebhookSignature, strings.Fields(h.Get(schemas.HeaderWebhookSignature))[i])
	return h
}

// TestRotatedSecretSignsDuringOverlap: once a rotation's overlap has ended
// a delivery carries one signature, by the new secret, and the old secret
// no longer verifies it; while an overlap runs a delivery carries two
// space-separated v1 signatures, the new secret's first, so a receiver
// holding either secret verifies it with a Standard Webhooks verifier
// (idv.Verify).
func TestRotatedSecretSignsDuringOverlap(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	recv := newReceiver(t, always(http.StatusNoContent))
	tenantID, first := b.tenant(t, recv.URL+"/hooks/idv")
	n := b.notifier(notify.Config{AllowPrivate: true})

	// A rotation whose hour-long overlap ended a day ago.
	second := b.rotate(t, tenantID, time.Hour, time.Now().Add(-48*time.Hour))
	ev, _ := decidedEvent(t, b, tenantID)
	if err := n.Handle(ctx, ev); err != nil {
		t.Fatalf("Handle after the overlap: %v", err)
	}
	got := recv.deliveries()
	if len(got) != 1 {
		t.Fatalf("%d POSTs, want 1", len(got))
	}
	d := got[0]
	if sigs := strings.Fields(d.header.Get(schemas.HeaderWebhookSignature)); len(sigs) != 1 {
		t.Fatalf("after the overlap: %d signatures, want 1", len(sigs))
	}
	if err := idv.Verify(second, d.header, d.body, time.Now(), 0); err != nil {
		t.Errorf("the new secret does not verify: %v", err)
	}
	if err := idv.Verify(first, d.header, d.body, time.Now(), 0); !errors.Is(err, idv.ErrWebhookSignature) {
		t.Errorf("the ended secret verifies after its overlap: %v", err)
	}

	// A rotation now with an hour's overlap: both sign.
	third := b.rotate(t, tenantID, time.Hour, time.Now())
	ev, _ = decidedEvent(t, b, tenantID)
	if err := n.Handle(ctx, ev); err != nil {
		t.Fatalf("Handle during the overlap: %v", err)
	}
	got = recv.deliveries()
	if len(got) != 2 {
		t.Fatalf("%d POSTs, want 2", len(got))
	}
	d = got[1]
	sigs := strings.Fields(d.header.Get(schemas.HeaderWebhookSignature))
	if len(sigs) != 2 || !strings.HasPrefix(sigs[0], "v1,") || !strings.HasPrefix(sigs[1], "v1,") {
		t.Fatalf("during the overlap: signatures %d, want two v1 entries", len(sigs))
	}
	for name, secret := range map[string][]byte{"new": third, "old": second} {
		if err := idv.Verify(secret, d.header, d.body, time.Now(), 0); err != nil {
			t.Errorf("the %s secret does not verify during the overlap: %v", name, err)
		}
	}
	if err := idv.Verify(third, only(d.header, 0), d.body, time.Now(), 0); err != nil {
		t.Errorf("the first entry is not the new secret's: %v", err)
	}
	if err := idv.Verify(second, only(d.header, 1), d.body, time.Now(), 0); err != nil {
		t.Errorf("the second entry is not the old secret's: %v", err)
	}
	if err := idv.Verify(first, d.header, d.body, time.Now(), 0); !errors.Is(err, idv.ErrWebhookSignature) {
		t.Errorf("the secret of two rotations ago verifies: %v", err)
	}
	// The second rotation deleted the first's ended row.
	var rows int
	if err := b.db.Get(&rows, `SELECT count(*) FROM webhook_secrets_retiring WHERE tenant_id = $1`, tenantID); err != nil || rows != 1 {
		t.Fatalf("retiring rows: %d, %v; want 1", rows, err)
	}
}
