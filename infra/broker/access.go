package broker

import (
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
}

// PerRole reports whether each role connects with its own credentials.
func (a Access) PerRole() bool { return a.KeyDir != "" }

// Options are the connect options of role: its nkey (read from its file at
// each connect, not kept in memory) and inbox prefix when a.PerRole, and
// TLS when a.CAFile is set. role is ignored without a.KeyDir.
func (a Access) Options(role string) ([]nats.Option, error) {
	var opts []nats.Option
	if a.CAFile != "" {
		if _, err := os.Stat(a.CAFile); err != nil {
			return nil, fmt.Errorf("jetstream: TLS CA: %w", err)
		}
		opts = append(opts, nats.RootCAs(a.CAFile))
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
