package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/idv-oss/idv/infra/vault"
)

// devEnvFile is the file in the dev dir where idv dev writes the settings
// that reach its databases and key vault, as environment variables:
// IDV_DATABASE_URL (its database on the server DATABASE_URL names, idv_dev
// when that is the server's default one), IDV_KEYSTORE_URL, IDV_MASTER_KEY
// (the key of master.key beside it, or the IDV_MASTER_KEY it was given),
// the embedded S3 gateway's IDV_S3_* (its credentials are new at each start,
// so those hold while that run of idv dev does; `idv tenant offboard` needs
// them) and IDV_WEBHOOK_ALLOW_PRIVATE=true, as dev runs. The administrative commands
// read it when nothing else names a database (withDevEnv); a shell can
// source it (set -a; . .idv/dev.env; set +a).
const devEnvFile = "dev.env"

// devEnvCommands are the commands that read dev.env: the administrative
// ones over the databases. Not vault (a master-key rotation needs keys set
// on purpose), nor those that start the system themselves.
var devEnvCommands = map[string]bool{"tenant": true, "audit": true, "breach": true, "support": true, "subprocessors": true,
	"doctor": true}

// writeDevEnv writes dev.env into the dev dir, 0600 as master.key is.
func writeDevEnv(cfg config, master vault.MasterKey) error {
	key := base64.StdEncoding.EncodeToString(master[:])
	var b strings.Builder
	b.WriteString("# Written by idv dev at each start: its databases, key vault and object store\n" +
		"# (the store's credentials change at each start), for the\n" +
		"# administrative commands (idv tenant …), which read this file when run with\n" +
		"# none of IDV_DATABASE_URL, IDV_KEYSTORE_URL and IDV_MASTER_KEY set.\n" +
		"# A shell can source it: set -a; . .idv/dev.env; set +a\n")
	for _, kv := range [][2]string{{"IDV_DATABASE_URL", cfg.DatabaseURL}, {"IDV_KEYSTORE_URL", cfg.KeyStoreURL},
		{"IDV_MASTER_KEY", key}, {"IDV_S3_ENDPOINT", cfg.S3.Endpoint}, {"IDV_S3_REGION", cfg.S3.Region},
		{"IDV_S3_ACCESS_KEY", cfg.S3.AccessKey}, {"IDV_S3_SECRET_KEY", cfg.S3.SecretKey}, {"IDV_S3_BUCKET", cfg.S3.Bucket},
		{"IDV_WEBHOOK_ALLOW_PRIVATE", "true"}} {
		fmt.Fprintf(&b, "%s=%s\n", kv[0], shellQuote(kv[1]))
	}
	path := filepath.Join(cfg.DevDir, devEnvFile)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("dev settings: %w", err)
	}
	// WriteFile keeps the mode of a file that was there.
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("dev settings: %w", err)
	}
	return nil
}

// withDevEnv returns getenv as it is, or, when getenv sets none of
// IDV_DATABASE_URL, IDV_KEYSTORE_URL and IDV_MASTER_KEY and the dev dir
// (IDV_DEV_DIR, else .idv in the working directory) holds dev.env, getenv
// with that file's settings over it and a line saying so. A set
// DATABASE_URL alone does not count: it names the server `idv dev` is
// given, not a database of IDV's.
func withDevEnv(getenv func(string) string) (func(string) string, string, error) {
	for _, name := range []string{"IDV_DATABASE_URL", "IDV_KEYSTORE_URL", "IDV_MASTER_KEY"} {
		if getenv(name) != "" {
			return getenv, "", nil
		}
	}
	path := filepath.Join(first(getenv("IDV_DEV_DIR"), ".idv"), devEnvFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return getenv, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("dev settings: %w", err)
	}
	vars, err := parseDevEnv(string(b))
	if err != nil {
		return nil, "", fmt.Errorf("dev settings %s: %w", path, err)
	}
	note := fmt.Sprintf("idv: no IDV_DATABASE_URL, IDV_KEYSTORE_URL or IDV_MASTER_KEY set: using idv dev's databases and key from %s", path)
	return func(name string) string {
		if v, ok := vars[name]; ok {
			return v
		}
		return getenv(name)
	}, note, nil
}

// parseDevEnv reads NAME=VALUE lines as writeDevEnv writes them: values
// bare or single-quoted, blank lines and # comments skipped.
func parseDevEnv(text string) (map[string]string, error) {
	vars := map[string]string{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(name, "IDV_") {
			return nil, fmt.Errorf("line %d: want IDV_NAME=value", i+1)
		}
		if len(value) >= 2 && value[0] == '\'' && value[len(value)-1] == '\'' {
			value = strings.ReplaceAll(value[1:len(value)-1], `'\''`, `'`)
		}
		vars[name] = value
	}
	return vars, nil
}

// shellQuote quotes v for a POSIX shell: a URL's & and ? stay literal.
func shellQuote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}
