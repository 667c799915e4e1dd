package broker

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nats-io/nkeys"
)

// UsersConfig is the authorization block of a nats-server configuration
// file giving each of roles its permissions under its public key (keys,
// from EnsureKeys): what infra/nats/nats-server.conf includes as
// users.conf. It holds no secret. Every role needs a key.
func UsersConfig(roles []Role, keys map[string]string) (string, error) {
	var b strings.Builder
	b.WriteString("# The broker's users: one nkey per role, each allowed only what it needs.\n")
	b.WriteString("# Written by `idv broker keys` from the stages' descriptions; do not edit,\n")
	b.WriteString("# run it again (after adding a stage, say). Public keys only: no secret.\n")
	b.WriteString("authorization {\n  users: [\n")
	for _, r := range roles {
		key := keys[r.Name]
		if !nkeys.IsValidPublicUserKey(key) {
			return "", fmt.Errorf("%w: broker role %s: no public user nkey", ErrConfig, r.Name)
		}
		fmt.Fprintf(&b, "    # %s\n    {\n      nkey: %s\n      permissions: {\n", r.Name, key)
		fmt.Fprintf(&b, "        publish: { allow: %s }\n", quoted(r.Publish))
		fmt.Fprintf(&b, "        subscribe: { allow: %s }\n", quoted(r.Subscribe))
		b.WriteString("      }\n    }\n")
	}
	b.WriteString("  ]\n}\n")
	return b.String(), nil
}

// quoted is subjects as a configuration array of quoted strings: unquoted,
// $JS.… would be read as a variable.
func quoted(subjects []string) string {
	q := make([]string, len(subjects))
	for i, s := range subjects {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// WriteAccess makes (or keeps) a seed per role in dir/nkeys and writes the
// servers' dir/users.conf for them: what `idv broker keys` writes. The
// users file holds public keys and permissions only, so the servers' user
// may read it (0644); the seeds stay 0600.
func WriteAccess(dir string, roles []Role) (keyDir, usersFile string, err error) {
	keyDir, usersFile = filepath.Join(dir, "nkeys"), filepath.Join(dir, "users.conf")
	keys, err := EnsureKeys(keyDir, roles)
	if err != nil {
		return "", "", err
	}
	users, err := UsersConfig(roles, keys)
	if err != nil {
		return "", "", err
	}
	if err := os.WriteFile(usersFile, []byte(users), 0o644); err != nil {
		return "", "", fmt.Errorf("broker keys: %w", err)
	}
	return keyDir, usersFile, nil
}
