package broker

import (
	"crypto/tls"
	"fmt"
	"os"

	"github.com/nats-io/nats.go"
)

// Access is how a process proves to the broker which roles it plays and
// which servers it trusts. The zero Access connects without credentials
// and without TLS, as to a test server.
type Access struct {
	// KeyDir holds the nkey seed of each role the process plays
	// (KeyFile: <role>.nk; `idv broker keys` writes them). Set, every role
	// connects on its own, with its own key and inbox prefix; empty, one
	// connection without credentials does everything.
	KeyDir string
	// CAFile is a PEM file of the certificates the servers' TLS
	// certificates chain to. Set, TLS is required and the servers are
	// verified against it.
	CAFile string
	// CertFile and KeyFile, both or neither, are PEM files of the client
	// certificate (the chain, leaf first) and its private key, presented
	// in the TLS handshake to a server that verifies its clients (mutual
	// TLS). The certificate is the process's, not a role's: every role
	// presents it, and each still proves itself with its own nkey.
	CertFile, KeyFile string
}

// PerRole reports whether each role connects with its own credentials.
func (a Access) PerRole() bool { return a.KeyDir != "" }

// Options are the connect options of role: its nkey (read from its file at
// each connect, not kept in memory) and inbox prefix when a.PerRole, TLS
// when a.CAFile is set, and the client certificate when a.CertFile is (read
// again at each connect, so a renewed one is presented at the next
// reconnect). role is ignored without a.KeyDir.
func (a Access) Options(role string) ([]nats.Option, error) {
	var opts []nats.Option
	if a.CAFile != "" {
		if _, err := os.Stat(a.CAFile); err != nil {
			return nil, fmt.Errorf("jetstream: TLS CA: %w", err)
		}
		opts = append(opts, nats.RootCAs(a.CAFile))
	}
	if (a.CertFile == "") != (a.KeyFile == "") {
		return nil, fmt.Errorf("%w: a TLS client certificate (%q) and its key (%q) go together, or neither", ErrConfig, a.CertFile, a.KeyFile)
	}
	if a.CertFile != "" {
		// Loaded here only so that a missing file, or a key that is not
		// the certificate's, is reported before any connect.
		if _, err := tls.LoadX509KeyPair(a.CertFile, a.KeyFile); err != nil {
			return nil, fmt.Errorf("jetstream: TLS client certificate: %w", err)
		}
		opts = append(opts, nats.ClientCert(a.CertFile, a.KeyFile))
	}
	if !a.PerRole() {
		return opts, nil
	}
	if !roleName.MatchString(role) {
		return nil, fmt.Errorf("%w: broker role %q", ErrConfig, role)
	}
	key, err := nats.NkeyOptionFromSeed(KeyFile(a.KeyDir, role))
	if err != nil {
		return nil, fmt.Errorf("jetstream: the %s role's key: %w", role, err)
	}
	return append(opts, key, nats.CustomInboxPrefix(InboxPrefix(role))), nil
}
