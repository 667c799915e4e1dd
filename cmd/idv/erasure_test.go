package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
	"github.com/idv-oss/idv/producers/retention"
	"github.com/idv-oss/idv/schemas"
)

// newCanary is "CANARY" and ten random capital letters: valid in an MRZ
// name field and unique to one run.
func newCanary() string {
	letters := strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, rand.Text()+rand.Text())
	return "CANARY" + letters[:10]
}

// canaryMRZ is mrz.SpecimenTD1 with the canary as the holder's surname. The
// TD1 name line has no check digit, so the MRZ stays valid.
func canaryMRZ(now time.Time, canary string) string {
	lines := strings.Split(mrz.SpecimenTD1(now), "\n")
	lines[2] = canary + "<<WILLEKE"
	lines[2] += strings.Repeat("<", 30-len(lines[2]))
	return strings.Join(lines, "\n")
}

// needle is something that must (or must not) be found, in the forms it
// could take where IDV keeps data: as is, hex (bytea as text, hex dumps) and
// base64 at each of the three alignments (JSON of []byte).
type needle struct {
	name  string
	forms [][]byte
}

func newNeedle(name string, b []byte) needle {
	n := needle{name: name, forms: [][]byte{b, []byte(hex.EncodeToString(b)), []byte(strings.ToUpper(hex.EncodeToString(b)))}}
	for off := range 3 {
		rest := b[off:]
		enc := base64.StdEncoding.EncodeToString(rest)
		n.forms = append(n.forms, []byte(enc[:len(rest)/3*4])) // only the characters fixed by rest alone
	}
	return n
}

// found reports whether data holds any form of the needle.
func (n needle) found(data []byte) bool {
	for _, f := range n.forms {
		if bytes.Contains(data, f) {
			return true
		}
	}
	return false
}

// place is one place IDV keeps data, as searched: how many items (files or
// rows) and bytes, and how many items hold each needle.
type place struct {
	name    string
	items   int
	bytes   int64
	hits    map[string]int
	skipped string // why the place could not be searched; "" when it was
}

func (p *place) search(data []byte, needles []needle) {
	p.items++
	p.bytes += int64(len(data))
	for _, n := range needles {
		if n.found(data) {
			p.hits[n.name]++
		}
	}
}

func newPlace(name string) *place { return &place{name: name, hits: map[string]int{}} }

// searchTree searches every regular file under root. Files that vanish
// during the walk (PostgreSQL unlinks old relation files) are skipped.
func searchTree(p *place, root string, needles []needle) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path != root {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		p.search(data, needles)
		return nil
	})
}

// searchRows searches the text of every row of every table of db.
func searchRows(ctx context.Context, p *place, db *sqlx.DB, needles []needle) error {
	var tables []struct {
		Schema string `db:"table_schema"`
		Name   string `db:"table_name"`
	}
	if err := db.SelectContext(ctx, &tables, `SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`); err != nil {
		return err
	}
	if len(tables) == 0 {
		return errors.New("no tables")
	}
	quote := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	for _, tb := range tables {
		var rows []string
		if err := db.SelectContext(ctx, &rows, `SELECT t::text FROM `+quote(tb.Schema)+`.`+quote(tb.Name)+` t`); err != nil {
			return fmt.Errorf("%s.%s: %w", tb.Schema, tb.Name, err)
		}
		for _, r := range rows {
			p.search([]byte(r), needles)
		}
	}
	return nil
}

// survey compacts and flushes both databases (VACUUM FULL, CHECKPOINT) and
// searches every place IDV keeps data for the needles. pg_wal is searched
// as a place of its own.
func (e *system) survey(t *testing.T, label string, needles []needle) []*place {
	t.Helper()
	ctx := context.Background()
	dbs := []struct {
		name string
		db   *sqlx.DB
	}{{"main database", e.owner}, {"key store", sqlx.NewDb(e.st.keys, "postgres")}}
	for _, d := range dbs {
		if _, err := d.db.ExecContext(ctx, `VACUUM FULL`); err != nil {
			t.Fatalf("%s: VACUUM FULL: %v", d.name, err)
		}
	}
	if _, err := e.owner.ExecContext(ctx, `CHECKPOINT`); err != nil {
		t.Fatalf("CHECKPOINT: %v", err)
	}

	var places []*place
	for _, d := range dbs {
		p := newPlace(d.name + " rows")
		if err := searchRows(ctx, p, d.db, needles); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		places = append(places, p)
	}
	var dataDir string
	if err := e.owner.GetContext(ctx, &dataDir, `SHOW data_directory`); err != nil {
		t.Fatal(err)
	}
	for _, d := range dbs {
		p := newPlace(d.name + " files")
		var oid int64
		if err := d.db.GetContext(ctx, &oid, `SELECT oid FROM pg_database WHERE datname = current_database()`); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(dataDir, "base", strconv.FormatInt(oid, 10))
		if err := searchTree(p, dir, needles); err != nil {
			p.skipped = err.Error()
		} else if p.items == 0 {
			p.skipped = "no files in " + dir
		}
		places = append(places, p)
	}
	wal := newPlace("pg_wal")
	if err := searchTree(wal, filepath.Join(dataDir, "pg_wal"), needles); err != nil {
		wal.skipped = err.Error()
	}
	places = append(places, wal)

	objs := newPlace("object store files")
	if err := searchTree(objs, s3test.Dir(), needles); err != nil {
		t.Fatalf("object store directory %q: %v", s3test.Dir(), err)
	}
	js := newPlace("jetstream store files")
	if err := searchTree(js, e.natsDir, needles); err != nil {
		t.Fatalf("JetStream store directory: %v", err)
	}
	logs := newPlace("logs")
	logs.search([]byte(e.logs.String()), needles)
	places = append(places, objs, js, logs)

	for _, p := range places {
		if p.skipped != "" {
			t.Logf("%s: %-22s NOT SEARCHED: %s", label, p.name, p.skipped)
			continue
		}
		var hits []string
		for _, n := range needles {
			hits = append(hits, fmt.Sprintf("%s=%d", n.name, p.hits[n.name]))
		}
		t.Logf("%s: %-22s %6d items %11d bytes  hits %s", label, p.name, p.items, p.bytes, strings.Join(hits, " "))
	}
	return places
}

// TestNothingLeft checks invariant 3 end to end: after expiry, nothing of a
// session's personal data is left in any place IDV keeps data (both
// databases' rows and data files, the object store's files, the JetStream
// store, the logs). The personal data is a canary in the MRZ name, which
// only ever travels inside sealed captures; the sealed captures themselves
// are searched for too. A second canary planted in every place shows that
// each search can find what it looks for.
func TestNothingLeft(t *testing.T) {
	s := startSystemWith(t, systemOptions{fields: []string{"full_name", "document_valid"}})
	e := s
	ctx := context.Background()
	canaryA, canaryB := newCanary(), newCanary()
	for canaryB == canaryA {
		canaryB = newCanary()
	}
	t.Logf("canary A (verifications) %s, canary B (planted) %s", canaryA, canaryB)

	// 1. Three verifications with canary A as the holder's name.
	var (
		vs     []*verification
		wks    []idv.WrappedKey
		sealed []needle
	)
	// The document photo bears the canary MRZ too: the image checks
	// compare the printed MRZ with the one sent.
	canaryText := canaryMRZ(time.Now(), canaryA)
	canaryFront, err := cardimage.SpecimenPhoto(canaryText, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		v := s.newVerification()
		v.replace(schemas.MRZ, []byte(canaryText))
		v.replace(schemas.DocumentFront, canaryFront)
		r := s.await(v, s.submit(v, nil))
		if r.Decision != schemas.DecisionApproved {
			t.Fatalf("verification %d with the canary MRZ: %+v (the MRZ must stay valid and be read)", i, r)
		}
		// API positive control: the policy allows full_name, so the customer
		// reads the canary back before the wipe (it is stored sealed).
		if name, _ := r.Fields["full_name"].(string); !strings.Contains(name, canaryA) {
			t.Fatalf("verification %d: the API returned full_name %q, want the canary", i, name)
		}
		for _, c := range v.captures {
			if c.Kind != schemas.MRZ && !(i == 0 && c.Kind == schemas.DocumentFront) {
				continue
			}
			key := schemas.ObjectKey(s.tenant.TenantID.String(), v.id, 1, c.Kind, c.Index)
			b, err := s.st.objects.Get(ctx, key, 64<<20)
			if err != nil {
				t.Fatalf("sealed capture %s must be in storage before the wipe: %v", key, err)
			}
			if len(b) < 128 || bytes.Contains(b, []byte(canaryA)) {
				t.Fatalf("sealed capture %s: %d bytes, canary in clear: %v", key, len(b), bytes.Contains(b, []byte(canaryA)))
			}
			// 64 bytes from the ciphertext's end, before the AEAD tag.
			sealed = append(sealed, newNeedle(fmt.Sprintf("sealed%d-%s", i, c.Kind), b[len(b)-80:len(b)-16]))
		}
		vs = append(vs, v)
		wks = append(wks, s.wrappedKey(v.id))
	}
	a, b := newNeedle("A", []byte(canaryA)), newNeedle("B", []byte(canaryB))
	needles := append([]needle{a, b}, sealed...)

	// Before the wipe: canary A nowhere at all, the sealed captures in the
	// object store (the storage positive control) and nowhere else.
	for _, p := range e.survey(t, "before wipe", needles) {
		if p.skipped != "" {
			continue
		}
		if p.hits["A"] != 0 {
			t.Errorf("before the wipe: canary A (only ever sealed) found in %d items of %s", p.hits["A"], p.name)
		}
		if p.hits["B"] != 0 {
			t.Errorf("before planting: canary B found in %s", p.name)
		}
		for _, n := range sealed {
			switch {
			case p.name == "object store files" && p.hits[n.name] == 0:
				t.Errorf("storage positive control: %s not found in the object store's files before the wipe", n.name)
			case p.name != "object store files" && p.hits[n.name] != 0:
				t.Errorf("before the wipe: %s found in %d items of %s", n.name, p.hits[n.name], p.name)
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// 2. Expiry: retention with a clock 49 hours ahead until every session is
	// wiped and its epoch key destroyed.
	hooks := make([]<-chan schemas.WebhookPayload, len(vs))
	got := make([]*schemas.WebhookPayload, len(vs))
	for i, v := range vs {
		hooks[i] = s.rcv.Await(v.id, schemas.WebhookSessionDeleted)
	}
	later := time.Now().Add(49 * time.Hour)
	sweeper := retention.New(retention.Deps{Store: postgres.NewRetention(s.st.db), Keys: s.st.vault,
		Now: func() time.Time { return later }}, retention.Config{})
	deadline := time.Now().Add(2 * time.Minute)
	rounds := 0
	for {
		round, err := sweeper.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rounds++
		deleted := 0
		for i := range hooks {
			if got[i] == nil {
				select {
				case p := <-hooks[i]:
					got[i] = &p
				default:
				}
			}
			if got[i] != nil {
				deleted++
			}
		}
		destroyed := 0
		for _, wk := range wks {
			if _, err := s.st.vault.Unwrap(ctx, wk); errors.Is(err, idv.ErrEpochDestroyed) {
				destroyed++
			}
		}
		if deleted == len(vs) && destroyed == len(wks) && round.Overdue == 0 {
			t.Logf("expiry: %d retention rounds; %d sessions deleted, %d wrapped keys unopenable, 0 overdue", rounds, deleted, destroyed)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("two minutes after expiry: %d/%d deleted webhooks, %d/%d epoch keys destroyed, last round %+v",
				deleted, len(vs), destroyed, len(wks), round)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i, v := range vs {
		s.checkWiped(v, *got[i], schemas.WipeExpired)
	}

	// 3. Positive controls: plant canary B in every place.
	for _, db := range []*sqlx.DB{s.owner, sqlx.NewDb(s.st.keys, "postgres")} {
		if _, err := db.ExecContext(ctx, `CREATE TABLE erasure_plant (note text)`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO erasure_plant VALUES ($1)`, "planted "+canaryB); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.st.objects.Put(ctx, "erasure-plant/canary.txt", []byte("planted "+canaryB)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.js.Publish(ctx, "idv.test.canary.x", []byte(`{"planted":"`+canaryB+`"}`)); err != nil {
		t.Fatal(err)
	}
	slog.New(slog.NewTextHandler(s.logs, nil)).Info("erasure test plant", "note", canaryB)

	// 4. After expiry: canary A and the sealed captures nowhere; canary B,
	// planted, found in every place searched. pg_wal is asserted on too:
	// WAL keeps the bytes of deleted rows until its segments are recycled,
	// so it would hold anything personal a row ever held, but IDV never
	// puts the canary or a sealed capture into a row (the survey before
	// the wipe shows it), so the WAL has nothing of them to keep; canary B
	// found there shows the WAL search itself works.
	searched := 0
	for _, p := range e.survey(t, "after expiry", needles) {
		if p.skipped != "" {
			t.Logf("after expiry: %s was not searched (%s); the check covers the other places", p.name, p.skipped)
			continue
		}
		searched++
		if p.hits["B"] == 0 {
			t.Errorf("positive control: planted canary B not found in %s, so the search of %s proves nothing", p.name, p.name)
		}
		if p.hits["A"] != 0 {
			t.Errorf("after expiry: canary A found in %d items of %s", p.hits["A"], p.name)
		}
		for _, n := range sealed {
			if p.hits[n.name] != 0 {
				t.Errorf("after expiry: %s found in %d items of %s", n.name, p.hits[n.name], p.name)
			}
		}
	}
	t.Logf("after expiry: %d places searched", searched)
}
