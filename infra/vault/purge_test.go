package vault

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/schemas"
)

// storedKey is an epoch key as the key store holds it (sealed) and as it
// opens (plain).
type storedKey struct {
	tenant uuid.UUID
	epoch  time.Time
	sealed []byte
	plain  []byte
}

// storedKeys reads every live epoch key of the key store and opens it as
// epochKey would.
func (b *bundle) storedKeys(t *testing.T) map[string]storedKey {
	t.Helper()
	var rows []struct {
		TenantID  uuid.UUID `db:"tenant_id"`
		Epoch     time.Time `db:"epoch"`
		SealedKey []byte    `db:"sealed_key"`
	}
	if err := b.db.SelectContext(b.ctx, &rows, `SELECT tenant_id, epoch, sealed_key FROM epoch_keys WHERE sealed_key IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	box, err := b.master.subkey(epochKeyInfo)
	if err != nil {
		t.Fatal(err)
	}
	keys := make(map[string]storedKey, len(rows))
	for _, r := range rows {
		plain, err := box.Open(nil, nil, r.SealedKey, epochKeyAD(r.TenantID, r.Epoch))
		if err != nil {
			t.Fatal(err)
		}
		keys[epochName(r.TenantID, r.Epoch)] = storedKey{tenant: r.TenantID, epoch: r.Epoch, sealed: r.SealedKey, plain: plain}
	}
	return keys
}

func epochName(tenant uuid.UUID, epoch time.Time) string {
	return tenant.String() + " " + epoch.UTC().Format(time.RFC3339)
}

// rawReader reads the key store's relations as stored, byte for byte:
// through pageinspect's get_raw_page (the server's current pages, changes
// not yet written to disk included) or, where that extension cannot be
// created, from the relation files after a CHECKPOINT, which needs a
// superuser or pg_read_server_files. Without either the test fails: it
// must never pass by reading nothing.
type rawReader struct {
	db      *sqlx.DB
	inspect bool
}

func newRawReader(t *testing.T, db *sqlx.DB) *rawReader {
	t.Helper()
	r := &rawReader{db: db, inspect: true}
	if _, err := db.ExecContext(t.Context(), `CREATE EXTENSION IF NOT EXISTS pageinspect`); err != nil {
		t.Logf("pageinspect cannot be created (%v); reading the relation files instead", err)
		r.inspect = false
	}
	return r
}

// relations names every relation that could hold epoch_keys' bytes: the
// table, its TOAST table and every index of either.
func (r *rawReader) relations(t *testing.T) []string {
	t.Helper()
	var rels []string
	if err := r.db.SelectContext(t.Context(), &rels, `
		WITH rel AS (SELECT oid FROM pg_class WHERE oid = 'epoch_keys'::regclass
		             UNION ALL SELECT reltoastrelid FROM pg_class WHERE oid = 'epoch_keys'::regclass AND reltoastrelid <> 0)
		SELECT oid::regclass::text FROM rel
		UNION ALL SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid IN (SELECT oid FROM rel)`); err != nil {
		t.Fatal(err)
	}
	if len(rels) < 4 { // table, TOAST table, its index, the primary key
		t.Fatalf("relations of epoch_keys: %v", rels)
	}
	return rels
}

// pages are a relation's raw bytes and every run of 8 bytes in them.
type pages struct {
	raw  []byte
	runs map[uint64]bool
}

// read returns the raw pages of every relation of epoch_keys, by name.
func (r *rawReader) read(t *testing.T, fromFile bool) map[string]pages {
	t.Helper()
	ctx := t.Context()
	if fromFile {
		if _, err := r.db.ExecContext(ctx, `CHECKPOINT`); err != nil {
			t.Fatalf("checkpoint before reading relation files: %v", err)
		}
	}
	rels := map[string]pages{}
	for _, rel := range r.relations(t) {
		var b []byte
		var err error
		if fromFile {
			err = r.db.GetContext(ctx, &b, `SELECT pg_read_binary_file(pg_relation_filepath($1::regclass))`, rel)
		} else {
			err = r.db.GetContext(ctx, &b, `SELECT coalesce(string_agg(get_raw_page($1::text, n::bigint), ''::bytea ORDER BY n), '')
				FROM generate_series(0, pg_relation_size($1::regclass) / current_setting('block_size')::int - 1) n`, rel)
		}
		if err != nil {
			t.Fatalf("read the pages of %s: %v", rel, err)
		}
		if len(b)%8192 != 0 {
			t.Fatalf("%s: %d bytes is not whole pages", rel, len(b))
		}
		runs := make(map[uint64]bool, len(b))
		for i := 0; i+8 <= len(b); i++ {
			runs[binary.LittleEndian.Uint64(b[i:])] = true
		}
		rels[rel] = pages{raw: b, runs: runs}
	}
	return rels
}

// found is where a key's bytes are: whole, or any 8 of them in a row
// (random bytes do not recur by chance: 2^-64 per place).
type found struct {
	whole, part []string // relations
}

func find(rels map[string]pages, key []byte) found {
	var f found
	for rel, p := range rels {
		if bytes.Contains(p.raw, key) {
			f.whole = append(f.whole, rel)
		}
		for i := 0; i+8 <= len(key); i++ {
			if p.runs[binary.LittleEndian.Uint64(key[i:])] {
				f.part = append(f.part, rel)
				break
			}
		}
	}
	return f
}

// relationFile is epoch_keys' file, relative to the data directory.
func (b *bundle) relationFile(t *testing.T) string {
	t.Helper()
	var path string
	if err := b.db.GetContext(b.ctx, &path, `SELECT pg_relation_filepath('epoch_keys')`); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPurgeLeavesNoKeyBytes creates epoch keys as sessions would, destroys
// some as a retention round and an offboarding would, and reads every page
// of the key store's table, TOAST table and indexes: after PurgeDestroyed no
// run of 8 bytes of a destroyed key is left, while every live key is still
// there whole. No plaintext epoch key is ever stored. It logs what a plain
// VACUUM leaves, the measurement behind the purge (go test -run
// TestPurgeLeavesNoKeyBytes -v ./infra/vault/).
func TestPurgeLeavesNoKeyBytes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	raw := newRawReader(t, b.db)

	// Tenants keep data 1 to 5 days, so the hour a key is created in is not
	// the hour it is destroyed in: destroyed keys lie among live ones, most
	// densely in the oldest pages, as in production.
	tenants := make([]uuid.UUID, 12)
	for i := range tenants {
		tenants[i] = uuid.New()
	}
	const hours = 120
	start := hour(1)
	for w := range hours {
		for i, tenant := range tenants {
			if err := b.vault.insertEpochKey(b.ctx, tenant, start.Add(time.Duration(w)*time.Hour+time.Duration(1+i%5)*24*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
	}
	keys := b.storedKeys(t)
	if len(keys) != hours*len(tenants) {
		t.Fatalf("%d epoch keys stored, want %d", len(keys), hours*len(tenants))
	}

	// A retention round destroys every epoch up to a cut-off, one by one;
	// an offboarding destroys all of one tenant's at once.
	cut := start.Add(150 * time.Hour)
	offboarded := tenants[len(tenants)-1]
	destroyed := map[string]bool{}
	due, err := b.vault.Epochs(b.ctx, cut) // in the retention sweep's order
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range due {
		if err := b.vault.DestroyEpoch(b.ctx, e.TenantID, e.Hour); err != nil {
			t.Fatal(err)
		}
		destroyed[epochName(e.TenantID, e.Hour)] = true
	}
	if _, err := b.vault.DestroyTenant(b.ctx, offboarded, start.Add(30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for name, k := range keys {
		if k.tenant == offboarded {
			destroyed[name] = true
		}
	}
	if len(destroyed) < len(keys)/5 || len(destroyed) > len(keys)*4/5 {
		t.Fatalf("%d of %d keys destroyed; the layout wants a mix", len(destroyed), len(keys))
	}

	count := func(rels map[string]pages) (whole, part int) {
		for name := range destroyed {
			f := find(rels, keys[name].sealed)
			if len(f.whole) > 0 {
				whole++
			}
			if len(f.part) > 0 {
				part++
			}
		}
		return whole, part
	}
	whole, part := count(raw.read(t, false))
	t.Logf("after destruction: %d of %d destroyed keys whole in the pages, %d in part", whole, len(destroyed), part)
	if _, err := b.db.ExecContext(b.ctx, `VACUUM epoch_keys`); err != nil {
		t.Fatal(err)
	}
	whole, part = count(raw.read(t, false))
	t.Logf("after a plain VACUUM: %d of %d destroyed keys whole in the pages, %d in part", whole, len(destroyed), part)

	oldFile := b.relationFile(t)
	purged, err := b.vault.PurgeDestroyed(b.ctx)
	if err != nil || !purged {
		t.Fatalf("PurgeDestroyed = %v, %v; want a rewrite", purged, err)
	}
	views := []bool{false, true} // pages as the server sees them, then the files on disk
	if !raw.inspect {
		views = views[1:]
	}
	for _, fromFile := range views {
		rels := raw.read(t, fromFile)
		for name, k := range keys {
			f := find(rels, k.sealed)
			switch {
			case destroyed[name] && len(f.part) > 0:
				t.Errorf("destroyed key %s: bytes left in %v (files: %v)", name, f.part, fromFile)
			case !destroyed[name] && len(f.whole) == 0:
				t.Errorf("live key %s not found in the pages (files: %v): the reader sees nothing", name, fromFile)
			}
			if p := find(rels, k.plain); len(p.part) > 0 {
				t.Errorf("plaintext of epoch key %s stored in %v", name, p.part)
			}
		}
	}
	// The old file is emptied at commit (and unlinked at the next
	// checkpoint); it keeps no page.
	var size sql.NullInt64
	if err := b.db.GetContext(b.ctx, &size, `SELECT (pg_stat_file($1, true)).size`, oldFile); err != nil {
		t.Fatalf("stat the table's old file: %v", err)
	}
	if newFile := b.relationFile(t); newFile == oldFile || size.Int64 != 0 {
		t.Fatalf("after the purge the table is in %s; its old file %s has %d bytes", newFile, oldFile, size.Int64)
	}

	// Nothing left to purge; the keys left still open, the destroyed ones
	// stay destroyed.
	if purged, err := b.vault.PurgeDestroyed(b.ctx); err != nil || purged {
		t.Fatalf("second PurgeDestroyed = %v, %v; want nothing to do", purged, err)
	}
	for name, k := range keys {
		_, err := b.vault.epochKey(b.ctx, k.tenant, k.epoch, false)
		if destroyed[name] != errors.Is(err, ErrEpochDestroyed) || (!destroyed[name] && err != nil) {
			t.Fatalf("epoch %s (destroyed: %v) after the purge: %v", name, destroyed[name], err)
		}
	}
}

// TestPurgeWaitsForOlderTransactions: a snapshot in the key store, or a
// transaction anywhere on the server, older than a destruction keeps the
// old row version alive through a rewrite, so PurgeDestroyed must not
// declare it purged while one is open; a snapshot in another database does
// not hold it.
func TestPurgeWaitsForOlderTransactions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.vault.purgeWait = 300 * time.Millisecond
	raw := newRawReader(t, b.db)
	other := pgtest.NewDB(t)
	tenant := uuid.New()
	for n := range 6 {
		b.newKey(t, tenant, hour(10+n))
	}
	keys := b.storedKeys(t)
	destroy := func(n int) []byte {
		t.Helper()
		k := keys[epochName(tenant, hour(n))]
		if err := b.vault.DestroyEpoch(b.ctx, tenant, hour(n)); err != nil {
			t.Fatal(err)
		}
		return k.sealed
	}
	begin := func(db *sqlx.DB, stmt string) *sql.Tx {
		t.Helper()
		tx, err := db.BeginTx(b.ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tx.Rollback() })
		if _, err := tx.ExecContext(b.ctx, stmt); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	present := func(key []byte) bool {
		t.Helper()
		return len(find(raw.read(t, false), key).whole) > 0
	}
	wantHeld := func(what string) {
		t.Helper()
		file := b.relationFile(t)
		purged, err := b.vault.PurgeDestroyed(b.ctx)
		if !errors.Is(err, ErrKeyBytesHeld) || purged || !strings.Contains(err.Error(), what) {
			t.Fatalf("PurgeDestroyed with an older %s open = %v, %v; want ErrKeyBytesHeld naming it", what, purged, err)
		}
		if b.relationFile(t) != file {
			t.Fatal("the table was rewritten although the rewrite would have kept the destroyed key")
		}
	}
	wantPurged := func(gone []byte) {
		t.Helper()
		if purged, err := b.vault.PurgeDestroyed(b.ctx); err != nil || !purged {
			t.Fatalf("PurgeDestroyed = %v, %v; want a rewrite", purged, err)
		}
		if present(gone) {
			t.Fatal("destroyed key still in the pages after the purge")
		}
	}

	// A snapshot in the key store taken before the destruction.
	snapshot := begin(b.db, `SELECT 1`)
	// A snapshot in another database holds nothing here.
	begin(other, `SELECT 1`)
	gone := destroy(10)
	wantHeld("snapshot of backend")
	if !present(gone) {
		t.Fatal("destroyed key not in the pages while an older snapshot is open: the reader sees nothing")
	}
	if err := snapshot.Commit(); err != nil {
		t.Fatal(err)
	}
	wantPurged(gone)

	// A transaction in another database that started writing before the
	// destruction: every snapshot taken meanwhile, the purge's own
	// included, keeps the old version.
	writer := begin(other, `SELECT pg_current_xact_id()`)
	gone = destroy(11)
	wantHeld("transaction of backend")
	if err := writer.Rollback(); err != nil {
		t.Fatal(err)
	}
	wantPurged(gone)

	// One that ends within the wait does not fail the purge.
	b.vault.purgeWait = 10 * time.Second
	writer = begin(other, `SELECT pg_current_xact_id()`)
	gone = destroy(12)
	time.AfterFunc(200*time.Millisecond, func() { writer.Rollback() })
	wantPurged(gone)

	// A reader that holds the table (as a pg_dump of the key store would)
	// makes the purge give up after its lock timeout rather than keep every
	// vault call queued behind it.
	reader, err := b.db.BeginTx(b.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Rollback()
	if _, err := reader.ExecContext(b.ctx, `SELECT 1 FROM epoch_keys LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	gone = destroy(13)
	began := time.Now()
	if purged, err := b.vault.PurgeDestroyed(b.ctx); err == nil || purged || !strings.Contains(err.Error(), "lock epoch_keys") {
		t.Fatalf("PurgeDestroyed while a reader holds the table = %v, %v; want a lock timeout", purged, err)
	}
	if waited := time.Since(began); waited > 3*time.Second {
		t.Fatalf("PurgeDestroyed waited %v for the table", waited)
	}
	if err := reader.Rollback(); err != nil {
		t.Fatal(err)
	}
	wantPurged(gone)
	if !present(keys[epochName(tenant, hour(14))].sealed) {
		t.Fatal("live key missing after the purges")
	}
}

// TestPurgeWhileKeysAreUsed runs purges, from two vaults as two replicas
// would, while sessions get and open keys: nobody fails, the purges only
// make them wait.
func TestPurgeWhileKeysAreUsed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tenant := uuid.New()
	ctx, stop := context.WithCancel(b.ctx)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		used int
	)
	for g := range 4 {
		v := New(b.master, b.db.DB)
		wg.Go(func() {
			for n := 0; ctx.Err() == nil; n++ {
				k, err := v.NewSessionKey(ctx, tenant, uuid.New(), hour(100+g*1000+n%50))
				if err == nil {
					_, err = v.Unwrap(ctx, k)
				}
				mu.Lock()
				if err != nil && ctx.Err() == nil {
					errs = append(errs, err)
				}
				used++
				mu.Unlock()
			}
		})
	}
	replicas := []*Vault{b.vault, New(b.master, b.db.DB)}
	rewrites := 0
	for round := range 10 {
		if err := b.vault.DestroyEpoch(b.ctx, uuid.New(), hour(round)); err != nil {
			t.Fatal(err)
		}
		b.newKey(t, tenant, hour(round+5000))
		if err := b.vault.DestroyEpoch(b.ctx, tenant, hour(round+5000)); err != nil {
			t.Fatal(err)
		}
		var pwg sync.WaitGroup
		for _, v := range replicas {
			pwg.Go(func() {
				purged, err := v.PurgeDestroyed(b.ctx)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, fmt.Errorf("purge: %w", err))
				}
				if purged {
					rewrites++
				}
			})
		}
		pwg.Wait()
	}
	stop()
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d errors, first: %v", len(errs), errs[0])
	}
	if rewrites < 10 || used == 0 {
		t.Fatalf("%d rewrites in 10 rounds, %d keys used meanwhile", rewrites, used)
	}
	var left int
	if err := b.db.GetContext(b.ctx, &left, `SELECT count(*) FROM epoch_key_leftovers`); err != nil || left != 0 {
		t.Fatalf("%d leftovers recorded after the last purge (%v)", left, err)
	}
}

// BenchmarkPurgeDestroyed measures one purge (a destruction, then the
// rewrite) on a key store of n epoch keys, two in three of them destroyed
// as in a key store that has run for a while, while a reader asks for a
// key all along as sessions would:
//
//	go test -run '^$' -bench PurgeDestroyed -benchtime 10x ./infra/vault/
//
// ns/op is about how long the table is locked; max-wait-ms is the longest
// one read waited; MB-rewritten is the table and its index, which the
// rewrite writes to the WAL as whole pages.
func BenchmarkPurgeDestroyed(b *testing.B) {
	for _, n := range []int{3_000, 30_000, 300_000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			ctx := b.Context()
			db := pgtest.NewDB(b, schemas.KeyStoreMigrations())
			v := New(MasterKey{}, db.DB)
			var live []idv.Epoch
			var rows []struct {
				TenantID uuid.UUID `db:"tenant_id"`
				Epoch    time.Time `db:"epoch"`
			}
			if _, err := db.ExecContext(ctx, `
				INSERT INTO epoch_keys (tenant_id, epoch, sealed_key, destroyed_at)
				SELECT tenant, date_trunc('hour', now(), 'UTC') + make_interval(hours => h),
				       CASE WHEN h % 3 = 0 THEN sha256(random()::text::bytea) || substr(sha256(random()::text::bytea), 1, 28) END,
				       CASE WHEN h % 3 <> 0 THEN now() END
				FROM generate_series(1, $1::int / 2) h, (VALUES (gen_random_uuid()), (gen_random_uuid())) AS t(tenant)`, n); err != nil {
				b.Fatal(err)
			}
			if err := db.SelectContext(ctx, &rows, `SELECT tenant_id, epoch FROM epoch_keys WHERE sealed_key IS NOT NULL`); err != nil {
				b.Fatal(err)
			}
			for _, r := range rows {
				live = append(live, idv.Epoch{TenantID: r.TenantID, Hour: r.Epoch})
			}
			if len(live) < b.N {
				b.Fatalf("%d live keys for %d purges", len(live), b.N)
			}
			if _, err := db.ExecContext(ctx, `VACUUM ANALYZE epoch_keys`); err != nil {
				b.Fatal(err)
			}

			readCtx, stop := context.WithCancel(ctx)
			var maxWait time.Duration
			done := make(chan struct{})
			go func() {
				defer close(done)
				for readCtx.Err() == nil {
					start := time.Now()
					var sealed []byte
					if err := db.GetContext(readCtx, &sealed, `SELECT sealed_key FROM epoch_keys WHERE tenant_id = $1 AND epoch = $2`,
						live[len(live)-1].TenantID, live[len(live)-1].Hour); err != nil && readCtx.Err() == nil {
						b.Error(err)
						return
					}
					maxWait = max(maxWait, time.Since(start))
				}
			}()
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				if err := v.DestroyEpoch(ctx, live[i].TenantID, live[i].Hour); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if purged, err := v.PurgeDestroyed(ctx); err != nil || !purged {
					b.Fatalf("PurgeDestroyed = %v, %v", purged, err)
				}
			}
			b.StopTimer()
			stop()
			<-done
			var size int64
			if err := db.GetContext(ctx, &size, `SELECT pg_total_relation_size('epoch_keys')`); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(maxWait.Microseconds())/1000, "max-wait-ms")
			b.ReportMetric(float64(size)/(1<<20), "MB-rewritten")
		})
	}
}
