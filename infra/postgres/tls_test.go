package postgres_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"net"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// The TLS tests hold IDV's connections to PostgreSQL to sslmode=verify-full
// (docs/operating.md, "PostgreSQL over TLS") against a server that takes TLS
// connections only: scripts/postgres.sh tls starts one, with a certificate
// for 127.0.0.1 and localhost from a CA of its own, and prints its URL
// (IDV_PG_TLS_URL). Every connection is opened the way IDV opens it:
// postgres.Open (idv migrate, the key store, the admin commands),
// postgres.OpenApp (the services) and the outbox relay's LISTEN connection
// (postgres.OutboxListener).

// tlsServer returns IDV_PG_TLS_URL, parsed, or skips (or fails) the test
// without it.
func tlsServer(t *testing.T) *neturl.URL {
	t.Helper()
	raw := os.Getenv("IDV_PG_TLS_URL")
	if raw == "" {
		if os.Getenv("IDV_REQUIRE_PG_TLS") != "" {
			t.Fatal("IDV_PG_TLS_URL is not set but IDV_REQUIRE_PG_TLS is; scripts/postgres.sh tls provides one")
		}
		t.Skip("TLS test skipped: no IDV_PG_TLS_URL; run `go tool task test`, or IDV_PG_TLS_URL=\"$(scripts/postgres.sh tls)\" go test ./infra/postgres")
	}
	u, err := neturl.Parse(raw)
	if err != nil {
		t.Fatalf("IDV_PG_TLS_URL: %v", err)
	}
	q := u.Query()
	if q.Get("sslmode") != "verify-full" || q.Get("sslrootcert") == "" || q.Has("hostaddr") {
		t.Fatalf("IDV_PG_TLS_URL %s: want sslmode=verify-full, sslrootcert and no hostaddr (as scripts/postgres.sh tls prints)", u.Redacted())
	}
	return u
}

// with returns u changed by change.
func with(u *neturl.URL, change func(u *neturl.URL, q neturl.Values)) string {
	c := *u
	q := c.Query()
	change(&c, q)
	c.RawQuery = q.Encode()
	return c.String()
}

// TestTLSVerifyFull: with the server's CA, every kind of connection IDV
// opens works and is encrypted, and both databases migrate over it.
func TestTLSVerifyFull(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	server := tlsServer(t)
	admin, err := postgres.Open(ctx, server.String())
	if err != nil {
		t.Fatalf("verify-full with the server's CA: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	var ssl bool
	var version string
	if err := admin.QueryRowContext(ctx, `SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&ssl, &version); err != nil {
		t.Fatal(err)
	}
	if !ssl || !strings.HasPrefix(version, "TLS") {
		t.Fatalf("session: ssl %v, version %q; want TLS", ssl, version)
	}

	// idv migrate's path (cmd/idv migrate.go): postgres.Open, then
	// postgres.Migrate, for the main database and the key store.
	mainDB, mainURL := tlsDatabase(t, admin, server)
	_, keysURL := tlsDatabase(t, admin, server)
	for _, m := range []struct {
		url, what  string
		migrations fs.FS
	}{{mainURL, "main", schemas.MainMigrations()}, {keysURL, "key store", schemas.KeyStoreMigrations()}} {
		db, err := postgres.Open(ctx, m.url)
		if err != nil {
			t.Fatalf("%s: %v", m.what, err)
		}
		applied, err := postgres.Migrate(ctx, db, m.migrations)
		db.Close()
		if err != nil || len(applied) == 0 {
			t.Fatalf("%s: migrations applied %v, %v", m.what, applied, err)
		}
	}

	// The services' pool acts as idv_app, over TLS.
	app, err := postgres.OpenApp(ctx, mainURL)
	if err != nil {
		t.Fatalf("OpenApp: %v", err)
	}
	t.Cleanup(func() { app.Close() })
	var role string
	var appPID int
	if err := app.QueryRowContext(ctx, `SELECT current_user, pg_backend_pid()`).Scan(&role, &appPID); err != nil {
		t.Fatal(err)
	}
	if role != postgres.AppRole {
		t.Fatalf("OpenApp acts as %q, want %q", role, postgres.AppRole)
	}
	if !encrypted(t, admin, `pid = $1`, appPID) {
		t.Fatal("the services' connection is not encrypted")
	}

	// The relay's LISTEN connection: ready, encrypted, and woken by a
	// NOTIFY on the outbox channel.
	logged := make(listenLog, 1)
	wake, ready := make(chan struct{}, 1), make(chan struct{})
	stop := postgres.NewOutboxListener(mainURL, 0, 0, slog.New(logged)).Listen(
		func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		}, func() { close(ready) })
	t.Cleanup(stop)
	waitFor := func(what string, c <-chan struct{}) {
		t.Helper()
		select {
		case <-c:
		case err := <-logged:
			t.Fatalf("LISTEN connection, waiting for %s: %v", what, err)
		}
	}
	waitFor("ready", ready)
	waitFor("the wake-up once LISTEN is in place", wake)
	if !encrypted(t, admin, `datname = $1 AND query = 'LISTEN "`+postgres.OutboxChannel+`"'`, mainDB) {
		t.Fatal("the LISTEN connection is not encrypted")
	}
	owner, err := postgres.Open(ctx, mainURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	if _, err := owner.ExecContext(ctx, `SELECT pg_notify($1, '')`, postgres.OutboxChannel); err != nil {
		t.Fatal(err)
	}
	waitFor("the wake-up by NOTIFY", wake)
}

// encrypted reports whether the client backends of the server matching
// where (over pg_stat_activity a and pg_stat_ssl s) all use TLS; at least
// one must match.
func encrypted(t *testing.T, admin *sql.DB, where string, args ...any) bool {
	t.Helper()
	var all, tls int
	err := admin.QueryRowContext(t.Context(), `SELECT count(*), count(*) FILTER (WHERE s.ssl)
		FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
		WHERE a.backend_type = 'client backend' AND `+where, args...).Scan(&all, &tls)
	if err != nil {
		t.Fatal(err)
	}
	if all == 0 {
		t.Fatalf("no client backend where %s %v", where, args)
	}
	return tls == all
}

// tlsDatabase creates a database on the TLS server, dropped when the test
// ends, and returns its name and URL.
func tlsDatabase(t *testing.T, admin *sql.DB, server *neturl.URL) (name, url string) {
	t.Helper()
	name = "idv_tls_test_" + hex.EncodeToString(randomBytes(6))
	if _, err := admin.ExecContext(t.Context(), `CREATE DATABASE `+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Logf("drop %s: %v", name, err)
		}
	})
	return name, with(server, func(u *neturl.URL, _ neturl.Values) { u.Path = "/" + name })
}

// TestTLSRefusesAnotherCA: under verify-full, a CA other than the one that
// signed the server's certificate, though it bears the same name, is refused
// with a certificate error by every kind of connection IDV opens.
func TestTLSRefusesAnotherCA(t *testing.T) {
	t.Parallel()
	server := tlsServer(t)
	caPEM, err := os.ReadFile(server.Query().Get("sslrootcert"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(caPEM)
	if block == nil {
		t.Fatal("sslrootcert holds no PEM")
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(other, newCA(t, ca.Subject.CommonName), 0o644); err != nil {
		t.Fatal(err)
	}
	url := with(server, func(_ *neturl.URL, q neturl.Values) { q.Set("sslrootcert", other) })

	wantUnknownCA := func(what string, err error) {
		t.Helper()
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Errorf("%s with another CA: %v, want a certificate signed by unknown authority", what, err)
		}
	}
	db, err := postgres.Open(t.Context(), url)
	if err == nil {
		db.Close()
	}
	wantUnknownCA("Open", err)
	db, err = postgres.OpenApp(t.Context(), url)
	if err == nil {
		db.Close()
	}
	wantUnknownCA("OpenApp", err)

	logged := make(listenLog, 1)
	ready := make(chan struct{})
	stop := postgres.NewOutboxListener(url, 0, 0, slog.New(logged)).Listen(func() {}, func() { close(ready) })
	defer stop()
	select {
	case <-ready:
		t.Error("LISTEN connection with another CA: ready")
	case err := <-logged:
		wantUnknownCA("LISTEN connection", err)
	}
}

// newCA returns the PEM certificate of a new self-signed CA named cn.
func newCA(t *testing.T, cn string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestTLSRefusesUnnamedHost: under verify-full, a URL naming a host the
// server's certificate does not name is refused, though it reaches the same
// server with the right CA. hostaddr gives the address, so no name is
// looked up; the host only says what the certificate must name.
func TestTLSRefusesUnnamedHost(t *testing.T) {
	t.Parallel()
	server := tlsServer(t)
	for _, c := range []struct {
		host  string
		named bool
	}{
		{"127.0.0.1", true},
		{"localhost", true},
		{"127.0.0.2", false},
		{"db.idv-test.invalid", false},
	} {
		url := with(server, func(u *neturl.URL, q neturl.Values) {
			u.Host = net.JoinHostPort(c.host, server.Port())
			q.Set("hostaddr", "127.0.0.1")
		})
		db, err := postgres.Open(t.Context(), url)
		if err == nil {
			db.Close()
		}
		var mismatch x509.HostnameError
		switch {
		case c.named && err != nil:
			t.Errorf("host %s, which the certificate names: %v", c.host, err)
		case !c.named && !errors.As(err, &mismatch):
			t.Errorf("host %s, which the certificate does not name: %v, want a host name mismatch", c.host, err)
		}
	}
}

// TestTLSRefusesPlainConnection: the server refuses a connection without
// TLS (pg_hba.conf has hostssl lines only), so a URL that asks for none
// fails rather than talking in clear.
func TestTLSRefusesPlainConnection(t *testing.T) {
	t.Parallel()
	server := tlsServer(t)
	url := with(server, func(_ *neturl.URL, q neturl.Values) { q.Set("sslmode", "disable") })
	db, err := postgres.Open(t.Context(), url)
	if err == nil {
		db.Close()
	}
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "28000" {
		t.Fatalf("sslmode=disable: %v, want refused by the server (invalid_authorization_specification, 28000)", err)
	}
}

// listenLog is a slog.Handler that passes on the error of the first record
// the outbox listener logs (a failed connection attempt, say).
type listenLog chan error

func (l listenLog) Enabled(context.Context, slog.Level) bool { return true }

func (l listenLog) Handle(_ context.Context, r slog.Record) error {
	err := errors.New("no error attribute")
	r.Attrs(func(a slog.Attr) bool {
		if e, ok := a.Value.Any().(error); ok && a.Key == "err" {
			err = e
		}
		return true
	})
	select {
	case l <- fmt.Errorf("%s: %w", r.Message, err):
	default:
	}
	return nil
}

func (l listenLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l listenLog) WithGroup(string) slog.Handler      { return l }
