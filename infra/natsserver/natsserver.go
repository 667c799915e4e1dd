// Package natsserver runs a NATS server with JetStream inside the IDV
// process: for `idv dev` and for tests against a real broker. It listens on
// loopback only, has no monitoring port and, unless told otherwise, syncs
// every JetStream write to disk before acknowledging it (see NewOptions).
// With Options.Secure it admits only the broker's roles, each with its
// permissions (broker.Roles), over TLS: the model production runs; with
// Secure.VerifyClients, only clients that also present a certificate from
// its CA (mutual TLS).
package natsserver

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/idv-oss/idv/infra/broker"
)

// readyTimeout bounds how long Start waits for the client listener.
const readyTimeout = 10 * time.Second

// Options configures an embedded server. Build them with NewOptions so that
// SyncAlways starts out true.
type Options struct {
	// Dir is the JetStream store directory; it is created if missing.
	Dir string
	// Port is the client port on 127.0.0.1; 0 picks a free one.
	Port int
	// SyncAlways fsyncs every JetStream write before it is acknowledged.
	// Without it the file store syncs every two minutes, and Jepsen (NATS
	// 2.12.1, Dec 2025) lost acknowledged messages on power loss in that
	// window. It costs publish throughput: see BenchmarkPublish.
	SyncAlways bool
	// Name is the server name (shown in monitoring and advisories); it
	// must differ between the nodes of a cluster.
	Name string
	// Cluster, when set, makes the server a node of a JetStream cluster
	// (see StartCluster).
	Cluster *Cluster
	// Secure, when set, makes the server admit only Secure.Roles, each
	// with its nkey and its permissions, and only over TLS.
	Secure *Secure
}

// Secure is the authorization and TLS of a server, made anew at each
// Start: a new nkey per role and a new certificate from a new CA. Clients
// find what they need in Dir (Server.Access). The keys of an earlier start
// are no longer admitted, so clients connect anew after a restart (`idv
// dev` runs the server in its own process: they stop and start together).
type Secure struct {
	// Roles are the users admitted, with their permissions.
	Roles []broker.Role
	// Dir receives each role's nkey seed (broker.KeyFile; seeds from an
	// earlier run are replaced), ca.pem, the CA certificate that signs
	// the server's, and with VerifyClients a client certificate and its
	// key, client.pem and client-key.pem.
	Dir string
	// VerifyClients makes the server require of every client a
	// certificate from its CA before the TLS handshake completes, and the
	// role's nkey after it: a client without the certificate never
	// reaches the NATS protocol. The one client certificate made serves
	// every role, as in production (infra/nats/nats-server.conf).
	VerifyClients bool
}

// The files of Secure.Dir besides the seeds.
const (
	caFile         = "ca.pem"
	clientCertFile = "client.pem"
	clientKeyFile  = "client-key.pem"
)

// Cluster is how a server joins a cluster of embedded servers.
type Cluster struct {
	// Name is the cluster's name, the same on every node.
	Name string
	// Port is the route port on 127.0.0.1. It must be known before the
	// nodes start, since each node's Routes name every other.
	Port int
	// Routes are the route URLs of the nodes (nats://127.0.0.1:PORT); a
	// node's own is ignored.
	Routes []string
}

// NewOptions returns the options IDV runs with: store in dir, a free port,
// every write synced.
func NewOptions(dir string) Options {
	return Options{Dir: dir, SyncAlways: true, Name: "idv"}
}

// Server is a running embedded server.
type Server struct {
	srv    *server.Server
	access broker.Access
}

// Start starts a server and waits until it accepts connections.
func Start(opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("natsserver: Options.Dir (JetStream store directory) is required")
	}
	if opts.Port < 0 || opts.Port > 65535 {
		return nil, fmt.Errorf("natsserver: port %d out of range (0 picks a free port)", opts.Port)
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("natsserver: create store directory: %w", err)
	}
	port := opts.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	sopts := &server.Options{
		ServerName: opts.Name,
		Host:       "127.0.0.1",
		Port:       port,
		JetStream:  true,
		StoreDir:   opts.Dir,
		SyncAlways: opts.SyncAlways,
		NoSigs:     true,
		NoLog:      true,
	}
	var access broker.Access
	if opts.Secure != nil {
		var err error
		if access, err = secure(sopts, *opts.Secure); err != nil {
			return nil, err
		}
	}
	if c := opts.Cluster; c != nil {
		if c.Name == "" || c.Port <= 0 || c.Port > 65535 || opts.Name == "" {
			return nil, fmt.Errorf("natsserver: a cluster node needs a cluster name, a route port (got %d) and a server name", c.Port)
		}
		sopts.Cluster = server.ClusterOpts{Name: c.Name, Host: "127.0.0.1", Port: c.Port}
		for _, r := range c.Routes {
			u, err := url.Parse(r)
			if err != nil {
				return nil, fmt.Errorf("natsserver: route %q: %w", r, err)
			}
			sopts.Routes = append(sopts.Routes, u)
		}
	}
	srv, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("natsserver: configure: %w", err)
	}
	// The server reports start-up failures (a store it cannot open, a port
	// in use) only through its logger; keep them for the error we return.
	errs := &errorLog{}
	srv.SetLoggerV2(errs, false, false, false)
	srv.Start()
	if msg := errs.fatal(); msg != "" {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("natsserver: start: %s", msg)
	}
	if !srv.ReadyForConnections(readyTimeout) {
		srv.Shutdown()
		srv.WaitForShutdown()
		if msg := errs.fatal(); msg != "" {
			return nil, fmt.Errorf("natsserver: start: %s", msg)
		}
		return nil, fmt.Errorf("natsserver: not accepting connections after %s", readyTimeout)
	}
	if !srv.JetStreamEnabled() {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, errors.New("natsserver: JetStream did not start")
	}
	return &Server{srv: srv, access: access}, nil
}

// secure sets sopts up to admit only sec.Roles, with keys and a
// certificate made for this start, written where Access says.
func secure(sopts *server.Options, sec Secure) (broker.Access, error) {
	if sec.Dir == "" || len(sec.Roles) == 0 {
		return broker.Access{}, errors.New("natsserver: Secure needs roles and a directory for their keys")
	}
	if err := os.MkdirAll(sec.Dir, 0o700); err != nil {
		return broker.Access{}, fmt.Errorf("natsserver: keys directory: %w", err)
	}
	for _, r := range sec.Roles {
		if err := os.Remove(broker.KeyFile(sec.Dir, r.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return broker.Access{}, fmt.Errorf("natsserver: replace the %s key: %w", r.Name, err)
		}
	}
	keys, err := broker.EnsureKeys(sec.Dir, sec.Roles)
	if err != nil {
		return broker.Access{}, fmt.Errorf("natsserver: %w", err)
	}
	for _, r := range sec.Roles {
		sopts.Nkeys = append(sopts.Nkeys, &server.NkeyUser{Nkey: keys[r.Name], Permissions: &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: r.Publish},
			Subscribe: &server.SubjectPermission{Allow: r.Subscribe},
		}})
	}
	ca, err := newAuthority()
	if err != nil {
		return broker.Access{}, err
	}
	cert, key, err := ca.issue("IDV NATS server", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, []string{sopts.Host, "localhost"})
	if err != nil {
		return broker.Access{}, err
	}
	pair, err := tls.X509KeyPair(cert, key)
	if err != nil {
		return broker.Access{}, fmt.Errorf("natsserver: %w", err)
	}
	access := broker.Access{KeyDir: sec.Dir, CAFile: filepath.Join(sec.Dir, caFile)}
	files := map[string][]byte{access.CAFile: ca.pem}
	sopts.TLSConfig = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	if sec.VerifyClients {
		cert, key, err := ca.issue("IDV client", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, nil)
		if err != nil {
			return broker.Access{}, err
		}
		access.CertFile, access.KeyFile = filepath.Join(sec.Dir, clientCertFile), filepath.Join(sec.Dir, clientKeyFile)
		files[access.CertFile], files[access.KeyFile] = cert, key
		pool := x509.NewCertPool()
		pool.AddCert(ca.cert)
		sopts.TLSConfig.ClientAuth, sopts.TLSConfig.ClientCAs = tls.RequireAndVerifyClientCert, pool
	} else {
		// A client certificate of an earlier start would name a CA that
		// no longer exists; leave none that Access does not name.
		for _, f := range []string{clientCertFile, clientKeyFile} {
			if err := os.Remove(filepath.Join(sec.Dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return broker.Access{}, fmt.Errorf("natsserver: %w", err)
			}
		}
	}
	for path, b := range files {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return broker.Access{}, fmt.Errorf("natsserver: %w", err)
		}
	}
	// Generous bounds for the handshake and the nkey challenge: a loaded
	// test machine must not turn a slow handshake into a refused client.
	sopts.TLSTimeout, sopts.AuthTimeout = 5, 10
	return access, nil
}

// ClientURL is the URL clients connect to, e.g. nats://127.0.0.1:4222, or
// tls://… when the server is Secure.
func (s *Server) ClientURL() string { return s.srv.ClientURL() }

// Access is what clients of a Secure server need: the directory of the
// roles' keys, the CA certificate and, with Secure.VerifyClients, the
// client certificate and its key; the zero Access otherwise.
func (s *Server) Access() broker.Access { return s.access }

// Name is the server's name.
func (s *Server) Name() string { return s.srv.Name() }

// Shutdown stops the server and waits until it has stopped.
func (s *Server) Shutdown() {
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
}

// errorLog is a server.Logger that drops everything but keeps the first
// fatal error.
type errorLog struct {
	mu  sync.Mutex
	msg string
}

func (l *errorLog) fatal() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.msg
}

func (l *errorLog) Fatalf(format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.msg == "" {
		l.msg = fmt.Sprintf(format, v...)
	}
}

func (*errorLog) Noticef(string, ...any) {}
func (*errorLog) Warnf(string, ...any)   {}
func (*errorLog) Errorf(string, ...any)  {}
func (*errorLog) Debugf(string, ...any)  {}
func (*errorLog) Tracef(string, ...any)  {}
