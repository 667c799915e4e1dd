package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv/document/chip"
	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/ops"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/schemas"
)

// stack is the connections a process shares: main database, key store and
// vault, object store. Each part takes only what it uses.
type stack struct {
	db      *sqlx.DB
	keys    *sqlx.DB
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
	st := &stack{db: db, keys: keys, vault: vault.New(master, keys)}
	if cfg.S3.Endpoint != "" {
		st.objects, err = objects.New(objects.Config{Endpoint: cfg.S3.Endpoint, Region: cfg.S3.Region,
			AccessKey: cfg.S3.AccessKey, SecretKey: cfg.S3.SecretKey, Bucket: cfg.S3.Bucket})
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

// migrateAll applies both databases' migrations, as the logins that own
// their tables, and reports what it applied.
func migrateAll(ctx context.Context, cfg config) (main, keystore []string, err error) {
	if main, err = migrate(ctx, first(cfg.MigrateURL, cfg.DatabaseURL), schemas.MainMigrations()); err != nil {
		return nil, nil, fmt.Errorf("main database: %w", err)
	}
	if keystore, err = migrate(ctx, cfg.KeyStoreURL, schemas.KeyStoreMigrations()); err != nil {
		return main, nil, fmt.Errorf("key store: %w", err)
	}
	return main, keystore, nil
}

func migrate(ctx context.Context, url string, migrations fs.FS) ([]string, error) {
	db, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return postgres.Migrate(ctx, db, migrations)
}

func (st *stack) Close() error {
	return errors.Join(st.db.Close(), st.keys.Close())
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
