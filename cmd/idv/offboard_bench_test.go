package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
	"github.com/idv-oss/idv/producers/offboard"
	"github.com/idv-oss/idv/producers/tenant"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// Benchmark sizes: sessions per tenant, and each session's captures
// (plaintext bytes): a document front, two selfie frames and the MRZ.
const (
	benchSessions = 100
	benchFront    = 1 << 20
	benchSelfie   = 300 << 10
)

// BenchmarkOffboard exports and deletes a tenant of benchSessions sessions
// (about 1.6 MB of captures each) against real PostgreSQL, the key store
// and the embedded S3 gateway, and reports the export's sealed MB/s and the
// delete's seconds. Run with -benchtime=1x: each iteration seeds a tenant.
func BenchmarkOffboard(b *testing.B) {
	ctx := context.Background()
	mainURL, keysURL := pgtest.NewURL(b), pgtest.NewURL(b)
	if _, _, err := migrateAll(ctx, config{DatabaseURL: mainURL, KeyStoreURL: keysURL}); err != nil {
		b.Fatal(err)
	}
	db, err := postgres.OpenApp(ctx, mainURL)
	if err != nil {
		b.Fatal(err)
	}
	keys, err := postgres.Open(ctx, keysURL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close(); keys.Close() })
	master, _ := vault.ParseMasterKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	st := &stack{db: db, keys: keys, vault: vault.New(master, keys), objects: s3test.NewStore(b)}
	pub, _, err := seal.NewRecipientKey()
	if err != nil {
		b.Fatal(err)
	}
	var exportSecs, deleteSecs, mb float64
	var peakHeap uint64
	for b.Loop() {
		b.StopTimer()
		tenantID := seedTenant(b, st, benchSessions)
		b.StartTimer()
		e := &offboard.Exporter{Offboardings: postgres.NewOffboardings(db), Tenants: postgres.NewTenants(db),
			Sessions: postgres.NewSessions(db), Results: postgres.NewResults(db), Audit: postgres.NewAudit(db),
			SignAudit: auditSigner(st.vault), Keys: st.vault, Objects: st.objects}
		f, err := os.Create(filepath.Join(b.TempDir(), "archive"))
		if err != nil {
			b.Fatal(err)
		}
		stopSampling := sampleHeap(&peakHeap)
		start := time.Now()
		sum, err := e.Export(ctx, tenantID, pub, f)
		stopSampling()
		if err == nil {
			err = f.Sync()
		}
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		exportSecs += time.Since(start).Seconds()
		mb += float64(sum.Bytes) / 1e6
		if err := e.Record(ctx, tenantID, sum); err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		d := &offboard.Deleter{Offboardings: postgres.NewOffboardings(db), Keys: st.vault, Objects: st.objects, Signer: st.vault}
		done, err := d.Delete(ctx, tenantID, false)
		if err != nil {
			b.Fatal(err)
		}
		deleteSecs += time.Since(start).Seconds()
		if done.Receipt.Sessions != benchSessions {
			b.Fatalf("receipt %+v", done.Receipt)
		}
	}
	b.ReportMetric(mb/exportSecs, "export_MB/s")
	b.ReportMetric(mb/float64(b.N), "archive_MB")
	b.ReportMetric(deleteSecs/float64(b.N), "delete_s")
	b.ReportMetric(benchSessions, "sessions")
	b.ReportMetric(float64(peakHeap)/1e6, "peak_heap_MB")
}

// sampleHeap records the largest heap in use into peak until the returned
// function is called: the export must not grow with the archive.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			*peak = max(*peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() { close(done); <-finished }
}

// seedTenant stores a tenant with n submitted sessions whose captures are
// sealed to their session keys and uploaded, as the API and the app would
// leave them.
func seedTenant(b *testing.B, st *stack, n int) uuid.UUID {
	b.Helper()
	ctx := context.Background()
	created, err := tenant.Create(ctx, postgres.NewTenants(st.db), st.vault, tenant.Request{Name: "Bench",
		WebhookURL: "https://bench.example/hook", RetentionDays: 7})
	if err != nil {
		b.Fatal(err)
	}
	tid := created.TenantID
	sessions := postgres.NewSessions(st.db)
	for range n {
		id, now := uuid.New(), time.Now().UTC().Truncate(time.Microsecond)
		expires := schemas.ExpiresAt(now, 7)
		k, err := st.vault.NewSessionKey(ctx, tid, id, expires)
		if err != nil {
			b.Fatal(err)
		}
		if err := sessions.Create(ctx, idv.Session{ID: id, TenantID: tid, Status: idv.StatusCreated,
			Checks: []string{schemas.CheckDocument}, SelfieFrames: 2, RetentionDays: 7, CreatedAt: now, ExpiresAt: expires,
			AppTokenHash: make([]byte, 32), AppTokenExpiresAt: now.Add(time.Hour)},
			idv.WrappedKey{SessionID: id, TenantID: tid, Epoch: k.Epoch, PublicKey: k.PublicKey, Wrapped: k.Wrapped}); err != nil {
			b.Fatal(err)
		}
		var caps []idv.Capture
		for _, c := range []struct {
			kind  schemas.CaptureKind
			index int
			size  int
		}{{schemas.DocumentFront, 0, benchFront}, {schemas.Selfie, 0, benchSelfie}, {schemas.Selfie, 1, benchSelfie}, {schemas.MRZ, 0, 90}} {
			plain := make([]byte, c.size)
			rand.Read(plain)
			sealed, err := seal.Seal(k.PublicKey, seal.CaptureInfo(id, 1, string(c.kind), c.index), plain)
			if err != nil {
				b.Fatal(err)
			}
			key := schemas.ObjectKey(tid.String(), id.String(), 1, c.kind, c.index)
			if err := st.objects.Put(ctx, key, sealed); err != nil {
				b.Fatal(err)
			}
			sum := sha256.Sum256(sealed)
			caps = append(caps, idv.Capture{SessionID: id, TenantID: tid, Kind: c.kind, Index: c.index,
				ObjectKey: key, Size: int64(len(sealed)), SHA256: sum[:]})
		}
		if err := sessions.DeclareCaptures(ctx, tid, id, caps); err != nil {
			b.Fatal(err)
		}
	}
	return tid
}
