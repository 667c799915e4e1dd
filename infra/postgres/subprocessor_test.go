package postgres_test

import (
	"sync"
	"testing"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// TestSubprocessorSyncOnceAcrossReplicas: API replicas starting together
// each sync the register; every tenant is told of an entry exactly once.
func TestSubprocessorSyncOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	b := setupRetention(t)
	b.newTenant(t)
	b.newTenant(t)
	reg := []schemas.Subprocessor{{ID: "ocr-cloud", Name: "OCR Cloud", Purpose: "MRZ", Country: "DE", EffectiveDate: "2027-01-01"}}
	store := postgres.NewSubprocessors(b.db.DB)
	var wg sync.WaitGroup
	counts := make([]int, 4)
	for i := range counts {
		wg.Go(func() {
			n, err := store.Sync(idv.WithActor(t.Context(), idv.ActorOperator), reg, time.Now(), idv.SubprocessorAnnouncedEvent)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		})
	}
	wg.Wait()
	total := 0
	for _, n := range counts {
		total += n
	}
	var events int
	b.db.Get(&events, `SELECT count(*) FROM outbox WHERE type = $1`, schemas.TypeSubprocessorAnnounced)
	if total != 3 || events != 3 {
		t.Errorf("announcements counted %d, events %d; want 3 (one per tenant)", total, events)
	}
}
