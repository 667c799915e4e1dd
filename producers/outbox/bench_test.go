package outbox_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/producers/outbox"
	"github.com/idv-oss/idv/schemas"
)

// BenchmarkRelay measures rows per second from a committed backlog through
// the relay into a JetStream file stream that fsyncs every write.
func BenchmarkRelay(b *testing.B) {
	for _, relays := range []int{1, 2} {
		b.Run(fmt.Sprintf("relays=%d", relays), func(b *testing.B) {
			f := newFixture(b, true)
			ids := make([]string, b.N)
			for i := range ids {
				ids[i] = uuid.NewString()
			}
			if _, err := f.db.Exec(`INSERT INTO outbox (tenant_id, msg_id, type, subject, body)
				SELECT $1::uuid, $2::text || ':' || id, $2, $2::text || '.' || id,
					jsonb_build_object('session_id', id, 'tenant_id', $1::uuid::text, 'checks', jsonb_build_array('document', 'face'))
				FROM unnest($3::text[]) AS id ORDER BY id`,
				f.tenant, schemas.TypeSessionSubmitted, pq.Array(ids)); err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, relays)
			b.ResetTimer()
			for range relays {
				r := outbox.New(postgres.NewOutbox(f.db.DB), postgres.NewOutboxListener(f.dbURL, 5*time.Millisecond, 20*time.Millisecond, nil), f.pub, nil, nil, outbox.Config{PollInterval: time.Hour})
				go func() { done <- r.Run(ctx) }()
			}
			for {
				var left bool
				if err := f.db.Get(&left, `SELECT EXISTS (SELECT 1 FROM outbox WHERE published_at IS NULL)`); err != nil {
					b.Fatal(err)
				}
				if !left {
					break
				}
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			cancel()
			for range relays {
				if err := <-done; err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
