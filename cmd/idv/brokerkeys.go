package main

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/natsserver"
)

// runBroker is `idv broker keys --dir DIR`: an nkey seed for each broker
// role of this binary's pipeline (the operator, the relay, every stage) in
// DIR/nkeys, the directory IDV_NATS_NKEY_DIR names, and DIR/users.conf, the
// authorization block the NATS servers include (infra/nats/nats-server.conf).
// Seeds already there are kept, so after an upgrade that adds a stage it
// adds that stage's seed and rewrites users.conf; the servers then need the
// new users.conf and a reload. With --tls-hosts it also makes, once, a CA
// and a server certificate for those hosts in DIR/tls, for a development
// broker (infra/deploy/compose.yaml); production servers get theirs from the
// operator's PKI (infra/deploy/README.md).
func runBroker(args []string, stdout, stderr io.Writer) error {
	const usage = "usage: idv broker keys --dir DIR [--tls-hosts HOST,...]"
	fs, err := verbFlagSet("broker", usage, args, stderr, "keys")
	if err != nil {
		return err
	}
	dir := fs.String("dir", "", "directory for the roles' nkey seeds (DIR/nkeys/<role>.nk) and the servers' DIR/users.conf (required)")
	hosts := fs.String("tls-hosts", "", "comma-separated names or addresses of the NATS servers: make a CA and a server certificate for them in DIR/tls (ca.crt, tls.crt, tls.key) unless there are some; for development brokers")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() > 0 {
		return errors.New(usage)
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
	if *hosts == "" {
		return nil
	}
	return writeDevCertificates(filepath.Join(*dir, "tls"), strings.Split(*hosts, ","), stdout)
}

// writeDevCertificates makes a CA and a certificate for hosts in dir,
// unless dir holds one for the same hosts valid for another renewBefore
// (kept, as the seeds are, so that running the command again does not cut
// off connected clients).
func writeDevCertificates(dir string, hosts []string, stdout io.Writer) error {
	for i, h := range hosts {
		if hosts[i] = strings.TrimSpace(h); hosts[i] == "" {
			return errors.New("--tls-hosts: an empty host name")
		}
	}
	if keptCertificate(filepath.Join(dir, "tls.crt"), hosts) {
		fmt.Fprintf(stdout, "%s: certificate kept (delete the directory for a new one)\n", dir)
		return nil
	}
	certs, err := natsserver.NewCertificates(hosts...)
	if err != nil {
		return err
	}
	if err := certs.Write(dir); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: a new CA (ca.crt, give it to the clients as IDV_NATS_TLS_CA) and a certificate for %s (tls.crt, tls.key, secret)\n",
		dir, strings.Join(hosts, ", "))
	return nil
}

// renewBefore is how long before it expires a development certificate is
// made anew.
const renewBefore = 30 * 24 * time.Hour

// keptCertificate reports whether the PEM certificate at path names exactly
// hosts and stays valid for renewBefore.
func keptCertificate(path string, hosts []string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return false
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil || time.Until(c.NotAfter) < renewBefore {
		return false
	}
	var names []string
	names = append(names, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	slices.Sort(names)
	want := slices.Sorted(slices.Values(hosts))
	return slices.Equal(names, want)
}
