package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/idv-oss/idv/infra/broker"
)

// runBroker is `idv broker keys --dir DIR`: an nkey seed for each broker
// role of this binary's pipeline (the operator, the relay, every stage) in
// DIR/nkeys, the directory IDV_NATS_NKEY_DIR names, and DIR/users.conf, the
// authorization block the NATS servers include (infra/nats/nats-server.conf).
// Seeds already there are kept, so after an upgrade that adds a stage it
// adds that stage's seed and rewrites users.conf; the servers then need the
// new users.conf and a reload.
func runBroker(args []string, stdout, stderr io.Writer) error {
	fs, err := verbFlagSet("broker", "usage: idv broker keys --dir DIR", args, stderr, "keys")
	if err != nil {
		return err
	}
	dir := fs.String("dir", "", "directory for the roles' nkey seeds (DIR/nkeys/<role>.nk) and the servers' DIR/users.conf (required)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() > 0 {
		return errors.New("usage: idv broker keys --dir DIR")
	}
	roles, err := broker.Roles(specs(pipeline)...)
	if err != nil {
		return err
	}
	keyDir, usersFile, err := broker.WriteAccess(*dir, roles)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "nkey seeds of roles %s in %s (secret: give each process only its own roles', as IDV_NATS_NKEY_DIR)\n",
		strings.Join(broker.RoleNames(roles), ", "), keyDir)
	fmt.Fprintf(stdout, "%s: the NATS servers' users, public keys and permissions (no secret)\n", usersFile)
	return nil
}
