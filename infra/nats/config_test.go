// Package nats holds the production NATS server configuration; its tests
// prove the file parses with the nats-server IDV embeds, syncs every
// JetStream write, requires TLS from clients and routes, keeps monitoring on
// loopback, and admits the broker's roles with exactly the permissions
// broker.Roles derives (users.conf, as `idv broker keys` writes it).
package nats

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natsgo "github.com/nats-io/nats.go"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/natsserver"
	"github.com/idv-oss/idv/schemas"
)

// stages stand for the pipeline's (cmd/idv tests the real ones against
// users.conf): what matters here is that every role arrives intact.
var stages = []idv.Stage{
	{Name: "doccheck", Consumes: []string{schemas.TypeSessionSubmitted}, Retry: idv.RetryThroughOutage()},
	{Name: "notify", Consumes: []string{schemas.TypeSessionDecided, schemas.TypeSessionDeleted}, Retry: idv.RetryThroughOutage()},
}

// etcNATS lays out what the configuration expects in /etc/nats — users.conf
// and tls/ — in a temporary directory, and returns the configuration file
// rewritten to read from there, with the roles it admits.
func etcNATS(t *testing.T, conf string) (string, []broker.Role) {
	t.Helper()
	dir := t.TempDir()
	roles, err := broker.Roles(stages...)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := broker.WriteAccess(dir, roles); err != nil {
		t.Fatal(err)
	}
	certs, err := natsserver.NewCertificates("idv-nats-1", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := certs.Write(filepath.Join(dir, "tls")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(conf, "/etc/nats/tls/") {
		t.Fatal("the configuration reads no certificate from /etc/nats/tls/")
	}
	path := filepath.Join(dir, "nats-server.conf")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(conf, "/etc/nats/", dir+"/")), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, roles
}

// checkSecure fails t unless opts, a production server's, requires TLS
// from clients and mutual TLS on routes, has monitoring on loopback only,
// and admits exactly roles with their permissions.
func checkSecure(t *testing.T, opts *server.Options, roles []broker.Role) {
	t.Helper()
	if opts.TLSConfig == nil || opts.TLSConfig.MinVersion < tls.VersionTLS12 || len(opts.TLSConfig.Certificates) != 1 {
		t.Errorf("client port: TLS %+v, want TLS 1.2 or later with the server's certificate", opts.TLSConfig)
	}
	if opts.AllowNonTLS {
		t.Error("client port: plain text allowed")
	}
	if c := opts.Cluster.TLSConfig; c == nil || c.ClientAuth != tls.RequireAndVerifyClientCert || c.ClientCAs == nil || c.MinVersion < tls.VersionTLS12 {
		t.Errorf("routes: TLS %+v, want both ends verified against the CA", c)
	}
	if opts.HTTPPort != 0 || opts.HTTPSPort != 0 {
		if ip := net.ParseIP(opts.HTTPHost); ip == nil || !ip.IsLoopback() {
			t.Errorf("monitoring on %q, want loopback only", opts.HTTPHost)
		}
	}
	if len(opts.Users) != 0 || opts.Username != "" || opts.Authorization != "" || opts.NoAuthUser != "" {
		t.Error("users besides the roles' nkeys, or a user admitted without credentials")
	}
	if len(opts.Nkeys) != len(roles) {
		t.Fatalf("%d nkey users, want one per role %v", len(opts.Nkeys), broker.RoleNames(roles))
	}
	for i, u := range opts.Nkeys {
		r := roles[i]
		p := u.Permissions
		if p == nil || p.Publish == nil || p.Subscribe == nil || len(p.Publish.Deny) != 0 || len(p.Subscribe.Deny) != 0 || p.Response != nil ||
			!slices.Equal(p.Publish.Allow, r.Publish) || !slices.Equal(p.Subscribe.Allow, r.Subscribe) {
			t.Errorf("user %d, role %s: permissions %+v, want publish %v and subscribe %v only", i, r.Name, p, r.Publish, r.Subscribe)
		}
	}
}

func TestProductionConfig(t *testing.T) {
	raw, err := os.ReadFile("nats-server.conf")
	if err != nil {
		t.Fatal(err)
	}
	path, roles := etcNATS(t, string(raw))
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("nats-server.conf: %v", err)
	}
	if !opts.JetStream || !opts.SyncAlways {
		t.Fatalf("jetstream %v, sync always %v: want both", opts.JetStream, opts.SyncAlways)
	}
	if opts.Cluster.Name != "idv" || len(opts.Routes) != 3 {
		t.Fatalf("cluster %q with %d routes, want idv with 3", opts.Cluster.Name, len(opts.Routes))
	}
	checkSecure(t, opts, roles)

	// The server it configures, alone on loopback, refuses a client without
	// a key and admits the relay's.
	opts.Host, opts.Port, opts.HTTPPort = "127.0.0.1", server.RANDOM_PORT, 0
	opts.Cluster, opts.Routes = server.ClusterOpts{}, nil
	opts.StoreDir, opts.NoSigs, opts.NoLog = t.TempDir(), true, true
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	dir := filepath.Dir(path)
	tlsOnly := broker.Access{CAFile: filepath.Join(dir, "tls", "ca.crt")}
	if _, _, err := broker.Connect(t.Context(), srv.ClientURL(), "stranger", mustOptions(t, tlsOnly, "")...); err == nil ||
		!strings.Contains(strings.ToLower(err.Error()), "authorization") {
		t.Errorf("connect without a key: %v, want an authorization violation", err)
	}
	relay := broker.Access{KeyDir: filepath.Join(dir, "nkeys"), CAFile: tlsOnly.CAFile}
	nc, _, err := broker.Connect(t.Context(), srv.ClientURL(), "relay", mustOptions(t, relay, broker.RoleRelay)...)
	if err != nil {
		t.Fatalf("connect as the relay: %v", err)
	}
	nc.Close()
}

func mustOptions(t *testing.T, a broker.Access, role string) []natsgo.Option {
	t.Helper()
	opts, err := a.Options(role)
	if err != nil {
		t.Fatal(err)
	}
	return opts
}
