package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/idv-oss/idv/document/chip"
	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/ops"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/vault"
)

// stack is the connections a process shares: main database, key store and
// vault, object store. Each part takes only what it uses.
type stack struct {
	db      *sql.DB
	keys    *sql.DB
	vault   *vault.Vault
	objects *objects.Store

	// cscas are the trusted CSCAs of IDV_CSCA_DIR, read once for the
	// stages that verify chip data (cscasOnce).
	cscasOnce sync.Once
	cscas     *chip.TrustStore
	cscasErr  error
}

// openStack connects to everything cfg names; the master key comes parsed
// (from IDV_MASTER_KEY, or in dev from its file).
func openStack(ctx context.Context, cfg config, master vault.MasterKey) (*stack, error) {
	db, err := postgres.OpenApp(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("main database: %w (has `idv migrate` run?)", err)
	}
	keys, err := postgres.Open(ctx, cfg.KeyStoreURL)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("key store: %w", err)
	}
	opts, err := cfg.vaultOptions()
	if err != nil {
		db.Close()
		keys.Close()
		return nil, err
	}
	st := &stack{db: db, keys: keys, vault: vault.New(master, keys, opts...)}
	if cfg.S3.Endpoint != "" {
		st.objects, err = objects.New(objects.Config{Endpoint: cfg.S3.Endpoint, Region: cfg.S3.Region,
			AccessKey: cfg.S3.AccessKey, SecretKey: cfg.S3.SecretKey, Bucket: cfg.S3.Bucket, CAFile: cfg.S3.CAFile})
		if err != nil {
			st.Close()
			return nil, err
		}
	}
	return st, nil
}

// openConfigured is openStack with the master key from IDV_MASTER_KEY.
func openConfigured(ctx context.Context, cfg config) (*stack, error) {
	master, err := cfg.masterKey()
	if err != nil {
		return nil, err
	}
	return openStack(ctx, cfg, master)
}

// need is what an administrative command opens (withStack).
type need int

const (
	needMainDB    need = iota // the main database alone: IDV_DATABASE_URL
	needDatabases             // both databases and the vault: requireDatabases
	needServices              // everything a production process uses: requireServices
)

// withStack is the commands' open-database preamble: it checks that cfg
// names what the command needs, opens it (the main database as the
// application role, under row-level security), runs f and closes it.
func withStack(ctx context.Context, cfg config, command string, n need, f func(*stack) error) error {
	var st *stack
	switch n {
	case needMainDB:
		if cfg.DatabaseURL == "" {
			return fmt.Errorf("%s needs IDV_DATABASE_URL (or DATABASE_URL)", command)
		}
		db, err := postgres.OpenApp(ctx, cfg.DatabaseURL)
		if err != nil {
			return fmt.Errorf("main database: %w (has `idv migrate` run?)", err)
		}
		st = &stack{db: db}
	default:
		require := cfg.requireDatabases
		if n == needServices {
			require = cfg.requireServices
		}
		if err := require(); err != nil {
			return err
		}
		var err error
		if st, err = openConfigured(ctx, cfg); err != nil {
			return err
		}
	}
	defer st.Close()
	return f(st)
}

func (st *stack) Close() error {
	var err error
	if st.keys != nil {
		err = st.keys.Close()
	}
	return errors.Join(st.db.Close(), err)
}

// checks are the readiness checks of what the stack holds.
func (st *stack) checks() map[string]ops.Check {
	c := map[string]ops.Check{
		"postgres": func(ctx context.Context) error { return st.db.PingContext(ctx) },
		"keystore": st.vault.Ping,
	}
	if st.objects != nil {
		c["s3"] = st.objects.Ping
	}
	return c
}
