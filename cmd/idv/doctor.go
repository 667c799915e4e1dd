package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/schemas"
)

// Bounds of `idv doctor`: how long one check may take (a broker that does
// not answer is retried until then), and the clock difference above which
// it warns. Expiry deadlines, app tokens, upload policies and webhook
// timestamps mix the host's clock with the database's and the customers'.
const (
	doctorTimeout = 15 * time.Second
	maxClockSkew  = 2 * time.Second
)

// report prints `idv doctor`'s lines, one per check: OK, FAIL with what is
// wrong and how to fix it, WARN, or SKIP when the check does not apply.
type report struct {
	w                io.Writer
	ok, failed, warn int
}

func (r *report) line(status, check, format string, a ...any) {
	fmt.Fprintf(r.w, "%-4s  %s: %s\n", status, check, fmt.Sprintf(format, a...))
}

func (r *report) pass(check, format string, a ...any) {
	r.ok++
	r.line("OK", check, format, a...)
}

// fail reports a failed check: what is wrong (err) and what to do (fix).
func (r *report) fail(check string, err error, fix string) {
	r.failed++
	if fix != "" {
		r.line("FAIL", check, "%v; %s", err, fix)
		return
	}
	r.line("FAIL", check, "%v", err)
}

func (r *report) warnf(check, format string, a ...any) {
	r.warn++
	r.line("WARN", check, format, a...)
}

func (r *report) skip(check, format string, a ...any) { r.line("SKIP", check, format, a...) }

// runDoctor is `idv doctor`: it checks the configuration, that every
// dependency answers and is recent enough, the clocks, the key store and
// the master keys, what each broker role whose key is here may do, and
// each tenant's webhook URL, one line per check, and fails when any check
// failed. It changes nothing.
func runDoctor(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("usage: idv doctor (no arguments; it reads the IDV_… settings the parts read)")
	}
	r := &report{w: stdout}
	cfg, err := parseConfig(getenv)
	if err != nil {
		r.fail("configuration", err, "see the configuration table in docs/operating.md")
		r.skip("the other checks", "they need a configuration that parses")
		return r.result()
	}
	master := checkConfig(r, cfg)
	db := checkMainDatabase(ctx, r, cfg)
	if db != nil {
		defer db.Close()
	}
	checkKeyStore(ctx, r, cfg, master)
	checkBucket(ctx, r, cfg.S3)
	checkBroker(ctx, r, cfg)
	if db != nil {
		checkWebhookURLs(ctx, r, db, cfg.WebhookAllowPrivate)
	} else {
		r.skip("tenant webhook URLs", "the main database is out of reach")
	}
	return r.result()
}

// result is the summary line, and an error when a check failed.
func (r *report) result() error {
	fmt.Fprintf(r.w, "%d OK, %d failed, %d warning(s)\n", r.ok, r.failed, r.warn)
	if r.failed > 0 {
		return fmt.Errorf("doctor: %d check(s) failed", r.failed)
	}
	return nil
}

// checkConfig checks the settings every production part needs and the
// master keys, and returns the master key (nil when it does not parse).
func checkConfig(r *report, cfg config) *vault.MasterKey {
	if err := cfg.requireServices(); err != nil {
		r.fail("configuration", err, "")
	} else {
		r.pass("configuration", "every IDV_… setting parses; the databases, the master key and S3 are configured")
	}
	if cfg.MasterKey == "" {
		return nil
	}
	master, err := cfg.masterKey()
	if err == nil {
		_, err = cfg.vaultOptions()
	}
	if err != nil {
		r.fail("master key", err, "`idv keygen` makes a valid one")
		return nil
	}
	return &master
}

// checkMainDatabase connects to the main database as the services do (role
// idv_app) and checks its version, the clock and the migrations; it returns
// the connection for the later checks, nil when there is none.
func checkMainDatabase(ctx context.Context, r *report, cfg config) *sql.DB {
	const check = "main database"
	if cfg.DatabaseURL == "" {
		r.fail(check, errors.New("IDV_DATABASE_URL (or DATABASE_URL) is not set"), "")
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	db, err := postgres.OpenApp(ctx, cfg.DatabaseURL)
	if err != nil {
		r.fail(check, err, dbFix(err, "IDV_DATABASE_URL", "it creates roles idv_app and idv_system; a login other than the migrating one needs `GRANT idv_app, idv_system TO <login>`"))
		return nil
	}
	num, err := postgres.ServerVersion(ctx, db)
	if err != nil {
		r.fail(check, err, "")
		db.Close()
		return nil
	}
	r.pass(check, "PostgreSQL %s (IDV needs %s or later), connected as %s", postgres.VersionString(num),
		postgres.VersionString(postgres.MinServerVersion), postgres.AppRole)
	checkDurability(ctx, r, "durability (main database)", db)
	// now() is the start of the statement's own transaction: within the
	// round trip readClock measures.
	c, err := readClock(func() (time.Time, error) {
		var now time.Time
		err := db.QueryRowContext(ctx, `SELECT now()`).Scan(&now)
		return now, err
	})
	if err != nil {
		r.fail("clock (main database)", err, "")
	} else {
		checkClock(r, "clock (main database)", c)
	}
	checkMigrations(ctx, r, check+" migrations", first(cfg.MigrateURL, cfg.DatabaseURL), schemas.MainMigrations())
	return db
}

// checkDurability fails when the server may lose commits it reported: IDV
// acknowledges broker messages, answers requests and announces wipes and
// decisions only once PostgreSQL has committed them, and counts on the
// commit to outlive a crash (docs/operating.md, "PostgreSQL's
// durability"). The settings are read as IDV's connections see them, so a
// role's or database's own setting counts.
func checkDurability(ctx context.Context, r *report, check string, db *sql.DB) {
	var fsync, syncCommit, fullPages string
	err := db.QueryRowContext(ctx, `SELECT current_setting('fsync'), current_setting('synchronous_commit'),
		current_setting('full_page_writes')`).Scan(&fsync, &syncCommit, &fullPages)
	if err != nil {
		r.fail(check, err, "")
		return
	}
	var off []string
	for _, s := range []struct{ name, value string }{
		{"fsync", fsync}, {"synchronous_commit", syncCommit}, {"full_page_writes", fullPages},
	} {
		if s.value == "off" {
			off = append(off, s.name)
		}
	}
	if len(off) > 0 {
		r.fail(check, fmt.Errorf("%s off: a crash can lose commits IDV has acted on", strings.Join(off, ", ")),
			"set them on in postgresql.conf or with ALTER SYSTEM, then SELECT pg_reload_conf(); "+
				"a role's or database's own setting goes with ALTER ROLE|DATABASE … RESET <setting>")
		return
	}
	r.pass(check, "fsync on, synchronous_commit %s, full_page_writes on", syncCommit)
}

// dbFix is the advice for a database that refused: upgrade an old server,
// else check the URL and run the migrations.
func dbFix(err error, setting, migrateNote string) string {
	if errors.Is(err, postgres.ErrServerTooOld) {
		return ""
	}
	fix := "check " + setting + " (host, database, login, sslmode)"
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "3D000" { // invalid_catalog_name
		fix = "create the database, then run `idv migrate`"
	}
	if migrateNote != "" {
		fix += "; run `idv migrate` (" + migrateNote + ")"
	}
	return fix
}

// checkMigrations reports migrations of fsys the database at url lacks. It
// reads schema_migrations as the login url names, which an application
// login apart from the migrating one may not: then it only warns.
func checkMigrations(ctx context.Context, r *report, check, url string, fsys fs.FS) {
	db, err := postgres.Open(ctx, url)
	if err != nil {
		r.fail(check, err, "")
		return
	}
	defer db.Close()
	pending, err := postgres.Pending(ctx, db, fsys)
	var pqErr *pq.Error
	switch {
	case errors.As(err, &pqErr) && pqErr.Code == "42501": // insufficient_privilege
		r.warnf(check, "this login may not read schema_migrations; set IDV_MIGRATE_DATABASE_URL to the migrating login to check")
	case err != nil:
		r.fail(check, err, "")
	case len(pending) > 0:
		r.fail(check, fmt.Errorf("%d migration(s) not applied %v", len(pending), pending), "run `idv migrate`")
	default:
		n, _ := fs.Glob(fsys, "*.sql")
		r.pass(check, "all %d applied", len(n))
	}
}

// clockReading is a server's time as read between two readings of this
// host's clock.
type clockReading struct{ theirs, before, after time.Time }

// readClock reads a server's time with now.
func readClock(now func() (time.Time, error)) (clockReading, error) {
	before := time.Now()
	theirs, err := now()
	return clockReading{theirs: theirs, before: before, after: time.Now()}, err
}

// checkClock compares this host's clock with a server's, allowing for the
// round trip.
func checkClock(r *report, check string, c clockReading) {
	if c.theirs.IsZero() {
		r.skip(check, "the server did not say its time")
		return
	}
	half := c.after.Sub(c.before) / 2
	skew := c.theirs.Sub(c.before.Add(half))
	if skew.Abs() > maxClockSkew+half {
		r.warnf(check, "this host's clock is %s from the server's (more than %s): run NTP (chrony, systemd-timesyncd) on both", skew.Round(time.Millisecond), maxClockSkew)
		return
	}
	r.pass(check, "%s from this host's", skew.Round(time.Millisecond))
}

// checkKeyStore connects to the key store, checks its version, that it is
// migrated (vault Ping) and that every live epoch key is sealed under a
// configured master key.
func checkKeyStore(ctx context.Context, r *report, cfg config, master *vault.MasterKey) {
	const check = "key store"
	if cfg.KeyStoreURL == "" {
		r.fail(check, errors.New("IDV_KEYSTORE_URL is not set"), "")
		return
	}
	if cfg.KeyStoreURL == cfg.DatabaseURL {
		r.fail(check, errors.New("IDV_KEYSTORE_URL names the main database"), "give the key store a database of its own")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	keys, err := postgres.Open(ctx, cfg.KeyStoreURL)
	if err != nil {
		r.fail(check, err, dbFix(err, "IDV_KEYSTORE_URL", ""))
		return
	}
	defer keys.Close()
	num, err := postgres.ServerVersion(ctx, keys)
	if err != nil {
		r.fail(check, err, "")
		return
	}
	// Ping reads epoch_keys and needs no master key.
	var k vault.MasterKey
	if master != nil {
		k = *master
	}
	opts, _ := cfg.vaultOptions()
	v := vault.New(k, keys, opts...)
	if err := v.Ping(ctx); err != nil {
		r.fail(check, err, "run `idv migrate`")
		return
	}
	r.pass(check, "PostgreSQL %s, epoch keys readable", postgres.VersionString(num))
	checkDurability(ctx, r, "durability (key store)", keys)
	checkMigrations(ctx, r, check+" migrations", cfg.KeyStoreURL, schemas.KeyStoreMigrations())
	if master == nil {
		return
	}
	byKey, err := v.EpochKeysByMasterKey(ctx)
	if err != nil {
		r.fail("master key", err, "")
		return
	}
	configured := []string{vault.MasterKeyID(*master)}
	old, _ := vault.ParseMasterKeys(cfg.MasterKeysOld)
	for _, o := range old {
		configured = append(configured, vault.MasterKeyID(o))
	}
	var unknown []string
	for id, n := range byKey {
		if id != "" && !slices.Contains(configured, id) {
			unknown = append(unknown, fmt.Sprintf("%d under %s", n, id))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		r.fail("master key", fmt.Errorf("live epoch keys sealed under a master key not configured: %s", strings.Join(unknown, ", ")),
			"put that key in IDV_MASTER_KEY or IDV_MASTER_KEYS_OLD (see Rotating the master key in docs/operating.md)")
		return
	}
	r.pass("master key", "%s; every live epoch key is sealed under a configured master key", vault.MasterKeyID(*master))
}

// checkBucket checks that the bucket exists and whether its lifecycle
// backstop is set.
func checkBucket(ctx context.Context, r *report, cfg s3Config) {
	const check = "S3 bucket"
	if cfg.Endpoint == "" {
		r.fail(check, errors.New("IDV_S3_ENDPOINT is not set"), "")
		return
	}
	store, err := objects.New(objects.Config{Endpoint: cfg.Endpoint, Region: cfg.Region,
		AccessKey: cfg.AccessKey, SecretKey: cfg.SecretKey, Bucket: cfg.Bucket, CAFile: cfg.CAFile})
	if err != nil {
		r.fail(check, err, "fix the IDV_S3_… settings")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	if err := requireBucket(ctx, store, cfg); err != nil {
		r.fail(check, err, "")
		return
	}
	r.pass(check, "%s at %s", cfg.Bucket, cfg.Endpoint)
	const lc = "S3 lifecycle backstop"
	b := objects.RetentionBackstop()
	has, err := store.HasBackstop(ctx, b)
	switch {
	case errors.Is(err, objects.ErrNotSupported):
		r.skip(lc, "this store has no lifecycle rules; the wipe alone deletes")
	case err != nil:
		r.warnf(lc, "cannot read the bucket's lifecycle rules: %v", err)
	case !has:
		r.warnf(lc, "rule %s missing or altered: run `idv migrate` (%s)", objects.BackstopRuleID, b)
	default:
		r.pass(lc, "rule %s: %s", objects.BackstopRuleID, b)
	}
}

// checkBroker connects as each broker role this host has the key of (or
// once without credentials) and tries what the role needs at start.
func checkBroker(ctx context.Context, r *report, cfg config) {
	if cfg.NATSURL == "" {
		r.skip("NATS", "IDV_NATS_URL is not set (only idv api and idv retention run without it)")
		return
	}
	roles := []string{""}
	if dir := cfg.NATSKeyDir; dir != "" {
		all, err := broker.Roles(specs(pipeline)...)
		if err != nil {
			r.fail("NATS", err, "")
			return
		}
		roles = nil
		for _, name := range broker.RoleNames(all) {
			if _, err := os.Stat(broker.KeyFile(dir, name)); err == nil {
				roles = append(roles, name)
			}
		}
		if len(roles) == 0 {
			r.fail("NATS", fmt.Errorf("IDV_NATS_NKEY_DIR %s holds no broker role's key (<role>.nk)", dir), "`idv broker keys --dir DIR` writes them")
			return
		}
	}
	clocked := false
	for _, role := range roles {
		c, ok := checkRole(ctx, r, cfg, role)
		if ok && !clocked && !c.theirs.IsZero() {
			clocked = true
			checkClock(r, "clock (NATS)", c)
		}
	}
}

// checkRole connects as role ("" without credentials) and tries what it
// needs: the operator (and a connection without credentials) reads stream
// IDV and every stage's consumer, a stage its own consumer, the relay the
// account info every connection reads. It returns the server's time from
// the first stream or consumer info it read (zero when it read none), and
// whether the role can do what it needs.
func checkRole(ctx context.Context, r *report, cfg config, role string) (clockReading, bool) {
	check := "NATS"
	if role != "" {
		check += " as " + role
	}
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	opts, err := cfg.brokerAccess().Options(role)
	if err != nil {
		r.fail(check, err, "check IDV_NATS_NKEY_DIR, IDV_NATS_TLS_CA, IDV_NATS_TLS_CERT and IDV_NATS_TLS_KEY")
		return clockReading{}, false
	}
	client := "idv-doctor"
	if role != "" {
		client += " as " + role
	}
	// The server refuses what a role may not do asynchronously (a
	// permissions violation), and the request waiting for an answer would
	// only time out: keep the refusal and stop waiting.
	var refused atomic.Pointer[error]
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	opts = append(opts, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrPermissionViolation) && refused.CompareAndSwap(nil, &err) {
			stop()
		}
	}))
	permissions := "the servers admit only the broker roles: set IDV_NATS_NKEY_DIR to the keys `idv broker keys` wrote"
	if role != "" {
		permissions = fmt.Sprintf("the key in IDV_NATS_NKEY_DIR is not the %s role's, or the servers' users.conf gives it other permissions: run `idv broker keys` and reload the servers with its users.conf", role)
	}
	nc, js, err := broker.Connect(ctx, cfg.NATSURL, client, opts...)
	if p := refused.Load(); p != nil {
		if nc != nil {
			nc.Close()
		}
		r.fail(check, *p, permissions)
		return clockReading{}, false
	}
	if err != nil {
		fix := "check IDV_NATS_URL, IDV_NATS_TLS_CA, and that the servers' users.conf has this role's key (`idv broker keys`)"
		if errors.Is(err, broker.ErrServerTooOld) {
			fix = ""
		}
		r.fail(check, err, fix)
		return clockReading{}, false
	}
	defer nc.Close()
	// failed reports what the broker refused: the violation when it sent
	// one, else err.
	failed := func(what string, err error, fix string) (clockReading, bool) {
		if p := refused.Load(); p != nil {
			err, fix = *p, permissions
		}
		r.fail(check, fmt.Errorf("nats-server %s: %s: %w", nc.ConnectedServerVersion(), what, err), fix)
		return clockReading{}, false
	}
	server := "nats-server " + nc.ConnectedServerVersion()
	var clock clockReading
	var stages []string
	switch role {
	case broker.RoleRelay:
		r.pass(check, "%s, JetStream account info readable (publishing is not tried: an event would reach the stages)", server)
		return clock, true
	case "", broker.RoleOperator:
		var s jetstream.Stream
		clock, err = readClock(func() (time.Time, error) {
			s, err = js.Stream(ctx, broker.StreamName)
			if err != nil {
				return time.Time{}, err
			}
			return s.CachedInfo().TimeStamp, nil
		})
		if err != nil {
			return failed("stream "+broker.StreamName, err, streamFix(err))
		}
		stages = stageNames(pipeline)
	default:
		stages = []string{role}
	}
	for _, name := range stages {
		c, err := readClock(func() (time.Time, error) {
			c, err := js.Consumer(ctx, broker.StreamName, name)
			if err != nil {
				return time.Time{}, err
			}
			return c.CachedInfo().TimeStamp, nil
		})
		if err != nil {
			return failed("consumer "+name, err, streamFix(err))
		}
		if clock.theirs.IsZero() {
			clock = c
		}
	}
	if len(stages) == 1 {
		r.pass(check, "%s, consumer %s readable", server, stages[0])
	} else {
		r.pass(check, "%s, stream %s and consumers %v readable", server, broker.StreamName, stages)
	}
	return clock, true
}

// streamFix is the advice for a stream or consumer the broker did not give.
func streamFix(err error) string {
	if errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrConsumerNotFound) {
		return "run `idv migrate` with IDV_NATS_URL set"
	}
	return "check the servers' users.conf against `idv broker keys` (the role's permissions)"
}

// checkWebhookURLs checks every tenant's webhook URL against today's rule
// (idv.CheckWebhookURL): one set before the rule was tightened, or written
// to the database directly, is refused at delivery.
func checkWebhookURLs(ctx context.Context, r *report, db *sql.DB, allowPrivate bool) {
	const check = "tenant webhook URLs"
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	tenants, err := postgres.NewTenants(db).WebhookURLs(ctx)
	if err != nil {
		r.fail(check, err, "")
		return
	}
	bad := 0
	for _, t := range tenants {
		if err := idv.CheckWebhookURL(t.WebhookURL, allowPrivate); err != nil {
			bad++
			r.fail("tenant "+t.ID.String()+" webhook URL", err,
				"set a valid one: idv tenant webhook set-url --tenant "+t.ID.String()+" --url https://…")
		}
	}
	if bad == 0 {
		r.pass(check, "%d tenant(s), every URL passes the check", len(tenants))
	}
}
